from django.urls import path

from . import apis

urlpatterns = [
    path("postquake-cases/", apis.CaseListApi.as_view(), name="api-postquake-cases"),
    path("postquake-cases/<id:case_id>/", apis.CaseDetailApi.as_view(), name="api-postquake-case"),
]
