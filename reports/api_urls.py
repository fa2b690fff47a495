from django.urls import path

from . import apis

urlpatterns = [
    path("gis-layers/", apis.GisLayerListApi.as_view(), name="api-gis-layer-list"),
    path("gis-layers/<int:layer_id>/", apis.GisLayerDetailApi.as_view(), name="api-gis-layer-detail"),
    path("topic-reports/", apis.TopicReportListApi.as_view(), name="api-topic-report-list"),
    path(
        "topic-reports/<int:report_id>/", apis.TopicReportDetailApi.as_view(), name="api-topic-report-detail"
    ),
]
