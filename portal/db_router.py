"""Reads on a streaming replica, writes on the primary (issue 18, "Several servers").

Active only when ``DATABASE_REPLICA_URL`` is set (settings add the ``replica`` alias, this
router and :class:`ReplicaRoutingMiddleware`); without it nothing changes. The rules:

* **Writes** always go to ``default`` (the primary); so does every migration.
* **Reads** go to the replica only inside a request the middleware marked as a replica read:
  a safe method (GET, HEAD, OPTIONS) on one of ``DATABASE_REPLICA_PATHS`` (the FDSN service
  and the report pages by default). Everything else — other pages, APIs, websockets, Celery
  tasks, management commands — reads the primary, so a worker never decides on stale rows.
* **Inside a transaction** (``atomic`` on the primary) every read is the primary's: a
  service that reads and then writes sees what it locks.
* **After a write in the request**, the rest of that request reads the primary.
* **Read your writes across requests**: a person who sent a write (POST, PUT, PATCH, DELETE)
  gets a cookie that sends their reads to the primary for ``DATABASE_REPLICA_STICKY_SECONDS``
  (longer than the replica's lag), so the report they just signed is not missing from the
  list they are sent back to. The cookie only ever routes to the primary, so a forged one
  costs the forger speed and nothing else.
* A related object read from an instance follows the instance's database.

The request's decision lives in a context variable holding a small mutable object: sync
views run in a copied context (``sync_to_async``), and a mutable holder lets a write in the
view be seen by the rest of the request; streamed answers (FDSN) read their later rows in the
request's context, after the middleware has returned, so the holder is reset when the answer
is closed (``request_finished``), not when the middleware returns.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.signals import request_finished
from django.db import connections

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest, HttpResponse

PRIMARY = "default"
REPLICA = "replica"
STICKY_COOKIE = "portal_db_primary"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class RouteState:
    """What the current request may read from: the replica, until it writes."""

    replica_ok: bool = False
    wrote: bool = False


_state: ContextVar[RouteState | None] = ContextVar("portal_db_route", default=None)


def route_state() -> RouteState | None:
    return _state.get()


def begin_request(*, replica_ok: bool) -> RouteState:
    """Start a request's routing (the middleware; tests). Returns the holder."""
    state = RouteState(replica_ok=replica_ok)
    _state.set(state)
    return state


def end_request(**kwargs: Any) -> None:
    """Forget the request's routing (``request_finished``: the answer, streamed or not, is sent)."""
    _state.set(None)


def replica_path(path: str) -> bool:
    return any(path.startswith(prefix) for prefix in getattr(settings, "DATABASE_REPLICA_PATHS", ()))


def sticky_until(request: HttpRequest) -> float:
    try:
        return float(request.COOKIES.get(STICKY_COOKIE, "0"))
    except ValueError:
        return 0.0


def request_may_read_replica(request: HttpRequest, *, now: float | None = None) -> bool:
    """A safe request on a replica path by someone who wrote nothing in the last seconds."""
    now = time.time() if now is None else now
    return request.method in SAFE_METHODS and replica_path(request.path) and sticky_until(request) <= now


class PrimaryReplicaRouter:
    """``DATABASE_ROUTERS`` entry: see the module docstring for the rules."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str:
        instance = hints.get("instance")
        if instance is not None and getattr(instance._state, "db", None):
            return str(instance._state.db)
        state = _state.get()
        if state is None or not state.replica_ok or state.wrote or REPLICA not in connections.settings:
            return PRIMARY
        if connections[PRIMARY].in_atomic_block:
            return PRIMARY
        return REPLICA

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        state = _state.get()
        if state is not None:
            state.wrote = True  # the rest of this request reads what it wrote
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # the replica holds the primary's rows: an object read on either is the same row
        if {obj1._state.db, obj2._state.db} <= {PRIMARY, REPLICA, None}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db == PRIMARY  # the replica is a copy made by PostgreSQL, never migrated


class ReplicaRoutingMiddleware:
    """Marks each request's reads (replica or primary) and sets the read-your-writes cookie.

    Installed near the top (before the session and the user are read) when a replica is
    configured.
    """

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        request_finished.connect(end_request, dispatch_uid="portal.db_router.end_request")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        begin_request(replica_ok=request_may_read_replica(request))
        response = self.get_response(request)
        if request.method not in SAFE_METHODS:
            seconds = int(getattr(settings, "DATABASE_REPLICA_STICKY_SECONDS", 10))
            response.set_cookie(
                STICKY_COOKIE,
                f"{time.time() + seconds:.0f}",
                max_age=seconds,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
        return response
