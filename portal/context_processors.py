from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings

from .selectors import notification_unread_count
from .tenancy import bureaus_of

if TYPE_CHECKING:
    from django.http import HttpRequest


def portal(request: HttpRequest) -> dict[str, Any]:
    actor = getattr(request, "actor", None)
    user = getattr(request, "user", None)
    context: dict[str, Any] = {
        "actor": actor,
        "map_tile_url": settings.MAP_TILE_URL,
        "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION,
    }
    if user is not None and user.is_authenticated:
        context["my_bureaus"] = bureaus_of(user)
        context["unread_count"] = notification_unread_count(user=user)
    return context
