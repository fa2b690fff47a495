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
