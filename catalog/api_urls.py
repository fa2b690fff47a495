from django.urls import path

from . import apis

urlpatterns = [
    path("quick-reports/", apis.QuickReportApi.as_view(), name="api-quick-reports"),
    path(
        "quick-reports/<id:message_id>/correct/",
        apis.QuickReportCorrectApi.as_view(),
        name="api-quick-report-correct",
    ),
    path("alert-rule/", apis.AlertRuleApi.as_view(), name="api-alert-rule"),
    path("events/", apis.EventListApi.as_view(), name="api-event-list"),
    path("events/imports/", apis.EventImportCreateApi.as_view(), name="api-event-imports"),
    path("events/imports/<id:import_id>/", apis.EventImportDetailApi.as_view(), name="api-event-import"),
    path("events/<str:public_id>/", apis.EventDetailApi.as_view(), name="api-event-detail"),
]
