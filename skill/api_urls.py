from django.urls import path

from . import apis

urlpatterns = [
    path("skill/", apis.SkillScoreListApi.as_view(), name="api-skill-list"),
    path("skill/channels/<id:channel_id>/", apis.SkillScoreDetailApi.as_view(), name="api-skill-channel"),
]
