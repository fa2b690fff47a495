"""The brief API (included in ``trends.api_urls`` under ``/api/v1/``)."""

from django.urls import path

from . import brief_apis

urlpatterns = [
    path("briefs/", brief_apis.BriefListApi.as_view(), name="api-brief-list"),
    path("briefs/<id:brief_id>/", brief_apis.BriefDetailApi.as_view(), name="api-brief-detail"),
]
