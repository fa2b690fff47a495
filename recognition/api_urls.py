from django.urls import path

from . import apis

urlpatterns = [
    path("recognition/rules/", apis.RuleListCreateApi.as_view(), name="api-recognition-rules"),
    path("recognition/rules/<id:rule_id>/", apis.RuleDetailApi.as_view(), name="api-recognition-rule"),
    path("recognition/rules/<id:rule_id>/pause/", apis.RulePauseApi.as_view(), name="api-recognition-pause"),
    path(
        "recognition/rules/<id:rule_id>/resume/", apis.RuleResumeApi.as_view(), name="api-recognition-resume"
    ),
    path("recognition/rules/<id:rule_id>/run/", apis.RuleRunApi.as_view(), name="api-recognition-run"),
    path(
        "recognition/rules/<id:rule_id>/detections/",
        apis.RuleDetectionsApi.as_view(),
        name="api-recognition-detections",
    ),
]
