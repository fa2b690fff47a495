from django.urls import path

from . import apis

P = "post-quake-cases/"
urlpatterns = [
    path(f"{P}punctuality/", apis.PunctualityApi.as_view(), name="api-postquake-punctuality"),
    path(P, apis.CaseListApi.as_view(), name="api-postquake-cases"),
    path(f"{P}<id:case_id>/", apis.CaseDetailApi.as_view(), name="api-postquake-case"),
    path(
        f"{P}<id:case_id>/transitions/",
        apis.CaseTransitionApi.as_view(),
        name="api-postquake-case-transitions",
    ),
    path(
        f"{P}<id:case_id>/opinions/<id:number>/",
        apis.OpinionDetailApi.as_view(),
        name="api-postquake-opinion",
    ),
    path(
        f"{P}<id:case_id>/opinions/<id:number>/transitions/",
        apis.OpinionTransitionApi.as_view(),
        name="api-postquake-opinion-transitions",
    ),
    path("post-quake-settings/", apis.SettingsApi.as_view(), name="api-postquake-settings"),
]
