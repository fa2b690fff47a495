from django.urls import path

from . import views

app_name = "consultations"
P = "consultations/"
urlpatterns = [
    path(P, views.calendar, name="calendar"),
    path(f"{P}archive/", views.archive, name="archive"),
    path(f"{P}meetings/new/", views.meeting_new, name="meeting-new"),
    path(f"{P}meetings/<id:meeting_id>/", views.meeting_detail, name="meeting-detail"),
    path(f"{P}meetings/<id:meeting_id>/edit/", views.meeting_edit, name="meeting-edit"),
    path(f"{P}meetings/<id:meeting_id>/<str:action>/status/", views.meeting_status, name="meeting-status"),
    path(f"{P}meetings/<id:meeting_id>/materials/", views.material_add, name="material-add"),
    path(f"{P}materials/<id:material_id>/file", views.material_file, name="material-file"),
    path(f"{P}meetings/<id:meeting_id>/opinion/", views.opinion_edit, name="opinion-edit"),
    path(f"{P}meetings/<id:meeting_id>/forecasts/new/", views.forecast_new, name="forecast-new"),
    path(
        f"{P}meetings/<id:meeting_id>/forecasts/<id:forecast_id>/delete/",
        views.forecast_delete,
        name="forecast-delete",
    ),
    path(f"{P}meetings/<id:meeting_id>/report/", views.report_start, name="report-start"),
    path(f"{P}reports/", views.report_list, name="report-list"),
    path(f"{P}reports/<id:report_id>/", views.report_detail, name="report-detail"),
    path(f"{P}reports/<id:report_id>/read/", views.report_read, name="report-read"),
    path(f"{P}reports/<id:report_id>/pdf/", views.report_download, name="report-pdf"),
    path(f"{P}emergency/", views.emergency_settings, name="emergency-settings"),
]
