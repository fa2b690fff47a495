"""Resolves ``request.actor`` once per request: the person in the bureau they selected."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .tenancy import Actor, actor_for

SESSION_BUREAU_KEY = "portal_bureau"


def requested_bureau_code(request: HttpRequest) -> str | None:
    """The bureau named by the ``X-Bureau`` header (API clients) or chosen in the session."""
    code = request.headers.get("X-Bureau")
    if code:
        return code.strip().upper()
    session = getattr(request, "session", None)
    return session.get(SESSION_BUREAU_KEY) if session is not None else None


def resolve_actor(request: HttpRequest) -> Actor | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    actor = actor_for(user, requested_bureau_code(request))
    if actor is None and not request.headers.get("X-Bureau"):
        # the bureau kept in the session may have been revoked: fall back to the first one
        actor = actor_for(user)
    return actor


class ActorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.actor = resolve_actor(request)  # type: ignore[attr-defined]
        return self.get_response(request)
