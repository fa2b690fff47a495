from django.urls import path

from .views import anomalies as anomaly_views
from .views import units as unit_views
from .views import verification as verification_views
from .views import zero_reports as zero_report_views

app_name = "disciplines"

urlpatterns = [
    path("disciplines/report/", zero_report_views.report, name="report"),
    path("disciplines/matrix/", zero_report_views.matrix, name="matrix"),
    path("disciplines/zero-reports/import/", zero_report_views.import_csv, name="import"),
    path("disciplines/zero-reports/export/", zero_report_views.zero_report_export, name="zero-report-export"),
    path("disciplines/units/", unit_views.unit_list, name="units"),
    path("disciplines/units/new/", unit_views.unit_new, name="unit-new"),
    path("disciplines/settings/", unit_views.anomaly_settings, name="settings"),
    path("disciplines/anomalies/", anomaly_views.anomaly_list, name="anomalies"),
    path("disciplines/anomalies/new/", anomaly_views.anomaly_new, name="anomaly-new"),
    path("disciplines/anomalies/map/", anomaly_views.anomaly_map, name="anomaly-map"),
    path("disciplines/anomalies.geojson", anomaly_views.anomaly_geojson, name="anomaly-geojson"),
    path("disciplines/anomalies/timeline/", anomaly_views.anomaly_timeline, name="anomaly-timeline"),
    path("disciplines/anomalies/export/", anomaly_views.anomaly_export, name="anomaly-export"),
    path("disciplines/anomalies/<id:anomaly_id>/", anomaly_views.anomaly_detail, name="anomaly-detail"),
    path(
        "disciplines/anomalies/<id:anomaly_id>/do/<str:action>/",
        anomaly_views.anomaly_transition,
        name="anomaly-transition",
    ),
    path(
        "disciplines/anomalies/<id:anomaly_id>/verification/",
        verification_views.verification_edit,
        name="verification",
    ),
    path(
        "disciplines/anomalies/<id:anomaly_id>/verification.pdf",
        verification_views.verification_pdf,
        name="verification-pdf",
    ),
    path(
        "disciplines/anomalies/<id:anomaly_id>/assessment/", verification_views.assessment, name="assessment"
    ),
    path("disciplines/attachments/<id:attachment_id>/", anomaly_views.attachment_download, name="attachment"),
]
