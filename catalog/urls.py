from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("events/", views.event_list, name="event-list"),
    path("events/<str:public_id>/", views.event_detail, name="event-detail"),
]
