from django.urls import path

from . import views

app_name = "subscriptions"

urlpatterns = [
    path("subscriptions/", views.subscription_list, name="list"),
    path("subscriptions/new/", views.subscription_new, name="new"),
    path("subscriptions/<id:subscription_id>/", views.subscription_edit, name="edit"),
    path("subscriptions/<id:subscription_id>/delete/", views.subscription_delete, name="delete"),
]
