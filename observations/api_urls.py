from django.urls import path

from . import series_apis

urlpatterns: list = [
    path("series/", series_apis.SeriesReadApi.as_view(), name="api-series"),
    path("series/imports/", series_apis.SeriesImportCreateApi.as_view(), name="api-series-imports"),
    path(
        "series/imports/<id:import_id>/",
        series_apis.SeriesImportDetailApi.as_view(),
        name="api-series-import",
    ),
]
