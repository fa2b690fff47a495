from django.urls import path

from . import apis

urlpatterns = [
    path("datasets/", apis.DatasetListApi.as_view(), name="api-dataset-list"),
    path("datasets/<id:dataset_id>/", apis.DatasetDetailApi.as_view(), name="api-dataset-detail"),
    path("data-requests/", apis.DataRequestListApi.as_view(), name="api-data-request-list"),
    path(
        "data-requests/<id:request_id>/", apis.DataRequestDetailApi.as_view(), name="api-data-request-detail"
    ),
    path(
        "data-requests/<id:request_id>/transitions/",
        apis.DataRequestTransitionApi.as_view(),
        name="api-data-request-transition",
    ),
    path("dataset-pushes/", apis.PushListApi.as_view(), name="api-dataset-push-list"),
    path("dataset-pushes/<id:push_id>/", apis.PushDetailApi.as_view(), name="api-dataset-push-detail"),
    path("dataset-pushes/<id:push_id>/stop/", apis.PushStopApi.as_view(), name="api-dataset-push-stop"),
]
