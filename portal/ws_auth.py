"""Who is on the other end of a websocket, found when the consumer first needs it.

Channels' ``AuthMiddleware`` reads the session's person in a ``database_sync_to_async``
call of its own before the consumer starts. All of a process's such calls run on one
thread, one after another, so that call is a turn in the queue for every socket opened.
Here ``scope["user"]`` is lazy, as ``request.user`` is in Django's own
``AuthenticationMiddleware``: it is read (``django.contrib.auth.get_user``, the session's
person with its auth hash checked, the same as Channels does) on first use, which must be
in sync code. A consumer does that in the database call it makes anyway: the live room
checks the person, the meeting, the right to join and records the presence in one call
(issue 18); ``portal.consumers.PortalConsumer`` resolves it in a call of its own, as
before.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from channels.auth import AuthMiddleware
from channels.sessions import CookieMiddleware, SessionMiddleware
from django.contrib.auth import get_user
from django.utils.functional import SimpleLazyObject


class DeferredAuthMiddleware(AuthMiddleware):
    """``scope["user"]``: the session's person, read on first use (sync code only)."""

    def populate_scope(self, scope: dict[str, Any]) -> None:
        if "session" not in scope:
            raise ValueError("DeferredAuthMiddleware needs SessionMiddleware above it")
        if "user" not in scope:
            session = scope["session"]
            # get_user reads only request.session
            scope["user"] = SimpleLazyObject(lambda: get_user(SimpleNamespace(session=session)))  # type: ignore[arg-type]

    async def resolve_scope(self, scope: dict[str, Any]) -> None:
        return None  # on first use, in the consumer's database call


def resolved_user(scope: dict[str, Any]) -> Any:
    """The socket's person (or ``AnonymousUser``, or None without the middleware), read now.

    Sync code (a ``database_sync_to_async`` call): the first use reads the session and the
    person's row.
    """
    user = scope.get("user")
    if user is not None:
        user.is_authenticated  # noqa: B018  (evaluates the lazy object here, in sync code)
    return user


def DeferredAuthMiddlewareStack(inner: Any) -> Any:  # noqa: N802  (named like Channels' AuthMiddlewareStack)
    return CookieMiddleware(SessionMiddleware(DeferredAuthMiddleware(inner)))
