from django.urls import path

from . import brief_urls, views

app_name = "trends"

urlpatterns = [
    path("trends/", views.report_list, name="report-list"),
    path("trends/new/", views.report_new, name="report-new"),
    path("trends/<id:report_id>/", views.report_detail, name="report-detail"),
    path("trends/<id:report_id>/status/", views.report_status, name="report-status"),
    path("trends/<id:report_id>/read/", views.report_read, name="report-read"),
    path("trends/<id:report_id>/pdf/", views.report_pdf, name="report-pdf"),
    path("trends/<id:report_id>/changes/", views.report_changes, name="report-changes"),
    path("trends/figures/<id:figure_id>.png", views.figure, name="figure"),
    *brief_urls.urlpatterns,
]
