from django.urls import path

from . import views

app_name = "postquake"

urlpatterns = [
    path("postquake/", views.case_list, name="case-list"),
    path("postquake/<id:case_id>/", views.case_detail, name="case-detail"),
    path("postquake/<id:case_id>/redraft/", views.case_redraft, name="case-redraft"),
]
