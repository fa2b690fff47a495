from django.urls import path

from . import views

app_name = "disciplines"

urlpatterns = [
    path("disciplines/report/", views.report, name="report"),
    path("disciplines/matrix/", views.matrix, name="matrix"),
    path("disciplines/zero-reports/import/", views.import_csv, name="import"),
    path("disciplines/zero-reports/export/", views.zero_report_export, name="zero-report-export"),
    path("disciplines/units/", views.unit_list, name="units"),
    path("disciplines/units/new/", views.unit_new, name="unit-new"),
    path("disciplines/settings/", views.anomaly_settings, name="settings"),
    path("disciplines/anomalies/", views.anomaly_list, name="anomalies"),
    path("disciplines/anomalies/new/", views.anomaly_new, name="anomaly-new"),
    path("disciplines/anomalies/map/", views.anomaly_map, name="anomaly-map"),
    path("disciplines/anomalies.geojson", views.anomaly_geojson, name="anomaly-geojson"),
    path("disciplines/anomalies/timeline/", views.anomaly_timeline, name="anomaly-timeline"),
    path("disciplines/anomalies/export/", views.anomaly_export, name="anomaly-export"),
    path("disciplines/anomalies/<id:anomaly_id>/", views.anomaly_detail, name="anomaly-detail"),
    path(
        "disciplines/anomalies/<id:anomaly_id>/do/<str:action>/",
        views.anomaly_transition,
        name="anomaly-transition",
    ),
    path("disciplines/anomalies/<id:anomaly_id>/verification/", views.verification_edit, name="verification"),
    path(
        "disciplines/anomalies/<id:anomaly_id>/verification.pdf",
        views.verification_pdf,
        name="verification-pdf",
    ),
    path("disciplines/anomalies/<id:anomaly_id>/assessment/", views.assessment, name="assessment"),
    path("disciplines/attachments/<id:attachment_id>/", views.attachment_download, name="attachment"),
]
