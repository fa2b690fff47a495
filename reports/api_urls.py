from django.urls import path

from . import apis

urlpatterns = [
    path("gis-layers/", apis.GisLayerListApi.as_view(), name="api-gis-layer-list"),
    path("gis-layers/<id:layer_id>/", apis.GisLayerDetailApi.as_view(), name="api-gis-layer-detail"),
    path("topic-reports/", apis.TopicReportListApi.as_view(), name="api-topic-report-list"),
    path(
        "topic-reports/<id:report_id>/", apis.TopicReportDetailApi.as_view(), name="api-topic-report-detail"
    ),
]
