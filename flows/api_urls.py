from django.urls import path

from . import apis

urlpatterns = [
    path("flow-nodes/", apis.NodeTypeListApi.as_view(), name="api-flow-nodes"),
    path("flows/", apis.FlowListCreateApi.as_view(), name="api-flows"),
    path("flows/validate/", apis.FlowValidateApi.as_view(), name="api-flows-validate"),
    path("flows/<id:flow_id>/", apis.FlowDetailApi.as_view(), name="api-flow"),
    path("flows/<id:flow_id>/versions/", apis.FlowVersionListApi.as_view(), name="api-flow-versions"),
    path("flows/<id:flow_id>/runs/", apis.FlowRunCreateApi.as_view(), name="api-flow-runs"),
    path("flows/<id:flow_id>/dry-run/", apis.FlowDryRunApi.as_view(), name="api-flow-dry-run"),
    path("flows/<id:flow_id>/triggers/", apis.FlowTriggersApi.as_view(), name="api-flow-triggers"),
    path("flow-runs/<id:flow_run_id>/", apis.FlowRunDetailApi.as_view(), name="api-flow-run"),
    path("flow-runs/<id:flow_run_id>/cancel/", apis.FlowRunCancelApi.as_view(), name="api-flow-run-cancel"),
]

# The flow store (issue 14 part B): its own module of APIs.
from . import store_apis  # noqa: E402

urlpatterns += [
    path("flows/<id:flow_id>/publish/", store_apis.FlowPublishApi.as_view(), name="api-flow-publish"),
    path(
        "flows/<id:flow_id>/update-from-store/",
        store_apis.FlowUpdateFromStoreApi.as_view(),
        name="api-flow-update-from-store",
    ),
    path("flow-store/", store_apis.StoreEntryListApi.as_view(), name="api-flow-store"),
    path("flow-store/<id:entry_id>/", store_apis.StoreEntryDetailApi.as_view(), name="api-flow-store-entry"),
    path(
        "flow-store/<id:entry_id>/install/",
        store_apis.StoreInstallApi.as_view(),
        name="api-flow-store-install",
    ),
    path(
        "flow-store/<id:entry_id>/ratings/",
        store_apis.StoreRatingListApi.as_view(),
        name="api-flow-store-ratings",
    ),
    path(
        "flow-store/<id:entry_id>/feature/",
        store_apis.StoreFeatureApi.as_view(),
        name="api-flow-store-feature",
    ),
    path(
        "flow-store/<id:entry_id>/screenshots/",
        store_apis.StoreScreenshotApi.as_view(),
        name="api-flow-store-screenshots",
    ),
]
