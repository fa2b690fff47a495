from django.urls import path

from . import views

app_name = "products"

urlpatterns = [
    path("products/", views.gallery, name="gallery"),
    path("products/runs/", views.run_list, name="run-list"),
    path("products/new/", views.run_new, name="run-new"),
    path("products/runs/<id:run_id>/", views.run_detail, name="run-detail"),
    path("products/runs/<id:run_id>/rerun/", views.run_rerun, name="run-rerun"),
    path("products/runs/<id:run_id>/figures/<str:name>", views.run_figure, name="run-figure"),
    path("products/schedules/", views.schedule_list, name="schedule-list"),
    path("products/schedules/new/", views.schedule_new, name="schedule-new"),
    path("products/schedules/<id:schedule_id>/", views.schedule_edit, name="schedule-edit"),
    path("products/schedules/<id:schedule_id>/<str:action>/", views.schedule_action, name="schedule-action"),
]
