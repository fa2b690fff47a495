from django.urls import path

from . import store_views, views

app_name = "flows"

urlpatterns = [
    path("flows/", views.flow_list, name="flow-list"),
    path("flows/new/", views.flow_new, name="flow-new"),
    path("flows/<id:flow_id>/", views.flow_detail, name="flow-detail"),
    path("flows/<id:flow_id>/edit/", views.flow_edit, name="flow-edit"),
    path("flows/<id:flow_id>/versions/", views.flow_versions, name="flow-versions"),
    path("flows/<id:flow_id>/run/", views.flow_run, name="flow-run"),
    path("flows/<id:flow_id>/triggers/", views.flow_triggers, name="flow-triggers"),
    path("flows/runs/<id:run_id>/", views.run_detail, name="run-detail"),
    path("flows/runs/<id:run_id>/files/<str:name>", views.run_file, name="run-file"),
    path("flows/runs/<id:run_id>/cancel/", views.run_cancel, name="run-cancel"),
    path("flows/runs/<id:run_id>/documents/<str:node_id>/", views.run_document, name="run-document"),
    # the flow store (issue 14 part B)
    path("flows/store/", store_views.store_list, name="store-list"),
    path("flows/store/<id:entry_id>/", store_views.store_detail, name="store-detail"),
    path("flows/store/<id:entry_id>/install/", store_views.store_install, name="store-install"),
    path("flows/store/<id:entry_id>/rate/", store_views.store_rate, name="store-rate"),
    path("flows/store/<id:entry_id>/feature/", store_views.store_feature, name="store-feature"),
    path(
        "flows/store/<id:entry_id>/screenshots/<id:screenshot_id>/",
        store_views.store_screenshot,
        name="store-screenshot",
    ),
    path("flows/<id:flow_id>/publish/", store_views.flow_publish, name="flow-publish"),
]
