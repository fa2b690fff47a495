from django.urls import path

from . import apis

urlpatterns = [
    path("post-quake-cases/", apis.CaseListApi.as_view(), name="api-postquake-cases"),
    path("post-quake-cases/punctuality/", apis.PunctualityApi.as_view(), name="api-postquake-punctuality"),
    path("post-quake-cases/<id:case_id>/", apis.CaseDetailApi.as_view(), name="api-postquake-case"),
]
