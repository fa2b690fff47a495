from django.urls import path

from . import views

app_name = "zones"

urlpatterns = [
    path("zones/", views.zone_list, name="zone-list"),
    path("zones/new/", views.zone_new, name="zone-new"),
    path("zones/score/", views.score_year, name="score-year"),
    path("zones/<id:zone_id>/", views.zone_detail, name="zone-detail"),
    path("zones/<id:zone_id>/edit/", views.zone_edit, name="zone-edit"),
    path("zones/<id:zone_id>/move/", views.zone_move, name="zone-move"),
    path("zones/<id:zone_id>/link/", views.zone_link, name="zone-link"),
    path(
        "zones/<id:zone_id>/anomalies/<id:anomaly_id>/unlink/",
        views.zone_unlink_anomaly,
        name="zone-unlink-anomaly",
    ),
    path("zones/<id:zone_id>/plan/", views.plan_edit, name="plan-edit"),
    path("zones/<id:zone_id>/plan/schedule/", views.plan_add_schedule, name="plan-add-schedule"),
    path("zones/<id:zone_id>/reports/new/", views.report_new, name="report-new"),
    path("zones/reports/<id:report_id>/", views.report_detail, name="report-detail"),
    path("zones/reports/<id:report_id>/move/", views.report_move, name="report-move"),
    path("zones/reports/<id:report_id>/pdf/", views.report_pdf, name="report-pdf"),
    path("zones/anomalies/<id:anomaly_id>/link/", views.anomaly_link, name="anomaly-link"),
    path("zones/meetings/<id:meeting_id>/link/", views.meeting_link, name="meeting-link"),
]
