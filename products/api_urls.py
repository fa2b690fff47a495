from django.urls import path

from . import apis

urlpatterns = [
    path("products/methods/", apis.MethodListApi.as_view(), name="api-product-methods"),
    path("products/", apis.RunListCreateApi.as_view(), name="api-product-runs"),
    path("products/<id:run_id>/", apis.RunDetailApi.as_view(), name="api-product-run"),
    path("products/<id:run_id>/rerun/", apis.RunRerunApi.as_view(), name="api-product-rerun"),
]
