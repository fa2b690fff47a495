from django.urls import path

from . import apis, availability_apis, qc_apis, review_apis, series_apis

urlpatterns = [
    path("observation-items/", apis.ItemListApi.as_view(), name="api-observation-item-list"),
    path("stations/", apis.StationListApi.as_view(), name="api-station-list"),
    path("stations/<str:station_code>/", apis.StationDetailApi.as_view(), name="api-station-detail"),
    path("channels/", apis.ChannelListApi.as_view(), name="api-channel-list"),
    path("channels/<id:channel_id>/", apis.ChannelDetailApi.as_view(), name="api-channel-detail"),
    path("master-data/changes/", apis.ChangeListApi.as_view(), name="api-master-data-change-list"),
    path(
        "master-data/changes/<id:change_id>/",
        apis.ChangeDetailApi.as_view(),
        name="api-master-data-change-detail",
    ),
    path(
        "master-data/changes/<id:change_id>/transitions/",
        apis.ChangeTransitionApi.as_view(),
        name="api-master-data-change-transition",
    ),
    path(
        "series/availability/",
        availability_apis.AvailabilityMatrixApi.as_view(),
        name="api-series-availability",
    ),
    path("series/", series_apis.SeriesReadApi.as_view(), name="api-series"),
    path("series/qc/queue/", review_apis.QcQueueApi.as_view(), name="api-series-qc-queue"),
    path(
        "series/qc/<id:qc_day_id>/review/",
        review_apis.QcReviewApi.as_view(),
        name="api-series-qc-review",
    ),
    path("series/qc/", qc_apis.QcDayListApi.as_view(), name="api-series-qc"),
    path("series/imports/", series_apis.SeriesImportCreateApi.as_view(), name="api-series-imports"),
    path(
        "series/imports/<id:import_id>/",
        series_apis.SeriesImportDetailApi.as_view(),
        name="api-series-import",
    ),
]
