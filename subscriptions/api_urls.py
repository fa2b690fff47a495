from django.urls import path

from . import apis

urlpatterns = [
    path("subscriptions/", apis.SubscriptionListApi.as_view(), name="api-subscription-list"),
    path(
        "subscriptions/<id:subscription_id>/",
        apis.SubscriptionDetailApi.as_view(),
        name="api-subscription-detail",
    ),
]
