from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("events/", views.event_list, name="event-list"),
    path("events/quick-report/", views.quick_report_new, name="quick-report-new"),
    path("events/inbox/", views.quick_report_inbox, name="quick-report-inbox"),
    path("events/imports/", views.import_list, name="import-list"),
    path("events/imports/<id:import_id>/file", views.import_file, name="import-file"),
    path("events/alert-rule/", views.alert_rule, name="alert-rule"),
    path("events/<str:public_id>/", views.event_detail, name="event-detail"),
]
