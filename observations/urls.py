from django.urls import path

from . import availability_views, qc_views, views

app_name = "observations"

urlpatterns = [
    path("observations/stations/", views.station_list, name="stations"),
    path("observations/stations/<str:code>/", views.station_detail, name="station-detail"),
    path("observations/channels/<id:channel_id>/", views.channel_detail, name="channel-detail"),
    path("observations/qc/", qc_views.qc_queue, name="qc-queue"),
    path("observations/qc/<id:qc_day_id>/", qc_views.qc_day, name="qc-day"),
    path("observations/changes/", views.change_list, name="changes"),
    path("observations/changes/new/", views.change_new, name="change-new"),
    path("observations/changes/<id:change_id>/", views.change_detail, name="change-detail"),
    path(
        "observations/changes/<id:change_id>/do/<str:action>/",
        views.change_transition,
        name="change-transition",
    ),
    path("observations/availability/", availability_views.availability_matrix, name="availability"),
    path(
        "observations/stations/<str:code>/qc-archives/",
        availability_views.qc_archive_generate,
        name="qc-archive-generate",
    ),
    path(
        "observations/qc-archives/<id:archive_id>/",
        availability_views.qc_archive_download,
        name="qc-archive",
    ),
]
