from django.urls import path

from . import views

app_name = "skill"

urlpatterns = [
    path("skill/", views.ranking, name="ranking"),
    path("skill/channels/<id:channel_id>/", views.channel, name="channel"),
    path("skill/settings/", views.settings_page, name="settings"),
    path("skill/recompute/", views.recompute, name="recompute"),
]
