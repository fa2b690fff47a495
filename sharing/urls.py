from django.urls import path

from . import views

app_name = "sharing"

P = "sharing/"

urlpatterns = [
    path(P, views.catalog, name="catalog"),
    path(f"{P}datasets/<id:dataset_id>/", views.dataset_detail, name="dataset-detail"),
    path(f"{P}datasets/<id:dataset_id>/edit/", views.dataset_edit, name="dataset-edit"),
    path(f"{P}datasets/<id:dataset_id>/level/", views.dataset_level, name="dataset-level"),
    path(f"{P}datasets/<id:dataset_id>/request/", views.request_new, name="request-new"),
    path(f"{P}datasets/<id:dataset_id>/push/", views.push_new, name="push-new"),
    path(f"{P}requests/", views.request_list, name="requests"),
    path(f"{P}requests/<id:request_id>/", views.request_detail, name="request-detail"),
    path(f"{P}requests/<id:request_id>/do/", views.request_transition, name="request-transition"),
    path(f"{P}pushes/", views.push_list, name="pushes"),
    path(f"{P}pushes/<id:push_id>/", views.push_detail, name="push-detail"),
    path(f"{P}pushes/<id:push_id>/stop/", views.push_stop, name="push-stop"),
    path(f"{P}settings/", views.settings_page, name="settings"),
    path(f"{P}settings/sync/", views.sync_now, name="sync"),
]
