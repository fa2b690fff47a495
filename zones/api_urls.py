from django.urls import path

from . import apis

urlpatterns = [
    path("danger-zones/", apis.ZoneListApi.as_view(), name="api-danger-zone-list"),
    path("danger-zones/<id:zone_id>/", apis.ZoneDetailApi.as_view(), name="api-danger-zone-detail"),
    path(
        "danger-zones/<id:zone_id>/transition/",
        apis.ZoneTransitionApi.as_view(),
        name="api-danger-zone-transition",
    ),
]
