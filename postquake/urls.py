from django.urls import path

from . import views

app_name = "postquake"

urlpatterns = [
    path("postquake/", views.case_list, name="case-list"),
    path("postquake/punctuality/", views.punctuality, name="punctuality"),
    path("postquake/<id:case_id>/", views.case_detail, name="case-detail"),
]
