from django.urls import path

from . import views

app_name = "postquake"

urlpatterns = [
    path("postquake/", views.case_list, name="case-list"),
    path("postquake/settings/", views.settings_edit, name="settings"),
    path("postquake/punctuality/", views.punctuality, name="punctuality"),
    path("postquake/<id:case_id>/", views.case_detail, name="case-detail"),
    path("postquake/<id:case_id>/close/", views.case_close, name="case-close"),
    path("postquake/<id:case_id>/opinions/<id:number>/", views.opinion_post, name="opinion"),
    path("postquake/pushes/<id:push_id>/retry/", views.push_retry, name="push-retry"),
    path("postquake/<id:case_id>/redraft/", views.case_redraft, name="case-redraft"),
]
