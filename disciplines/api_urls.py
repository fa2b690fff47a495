from django.urls import path

from . import apis
from .services.anomaly_workflow import TRANSITIONS

urlpatterns = [
    path("reporting-units/", apis.ReportingUnitListApi.as_view(), name="api-reporting-unit-list"),
    path(
        "reporting-units/<id:unit_id>/",
        apis.ReportingUnitDetailApi.as_view(),
        name="api-reporting-unit-detail",
    ),
    path("zero-reports/", apis.ZeroReportListApi.as_view(), name="api-zero-report-list"),
    path("zero-reports/import/", apis.ZeroReportImportApi.as_view(), name="api-zero-report-import"),
    path("zero-reports/matrix/", apis.ZeroReportMatrixApi.as_view(), name="api-zero-report-matrix"),
    path("zero-reports/<id:report_id>/", apis.ZeroReportDetailApi.as_view(), name="api-zero-report-detail"),
    path("anomalies/", apis.AnomalyListApi.as_view(), name="api-anomaly-list"),
    path("anomalies/<id:anomaly_id>/", apis.AnomalyDetailApi.as_view(), name="api-anomaly-detail"),
    path(
        "anomalies/<id:anomaly_id>/verification/",
        apis.VerificationApi.as_view(),
        name="api-anomaly-verification",
    ),
    path("anomalies/<id:anomaly_id>/ratings/", apis.RatingApi.as_view(), name="api-anomaly-ratings"),
    path(
        "anomalies/<id:anomaly_id>/attachments/",
        apis.AttachmentUploadApi.as_view(),
        name="api-anomaly-attachments",
    ),
    *(
        path(
            f"anomalies/<id:anomaly_id>/{action.replace('_', '-')}/",
            apis.AnomalyTransitionApi.as_view(action_name=action),
            name=f"api-anomaly-{action.replace('_', '-')}",
        )
        for action in TRANSITIONS
    ),
    path("disciplines/counts/", apis.DashboardCountsApi.as_view(), name="api-discipline-counts"),
    path("disciplines/settings/", apis.AnomalySettingsApi.as_view(), name="api-anomaly-settings"),
]
