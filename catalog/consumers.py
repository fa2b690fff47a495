"""Websockets of the catalog.

``/ws/events/``: the program-facing event stream, like EMSC's: each message is
``{"action": "create"|"update", "data": <GeoJSON Feature>}``. Anyone may
listen to published events; signed-in people of a bureau also get their
bureau's unpublished ones (the bureau chosen in the session, or
``?bureau=CODE``).

``/ws/catalog/``: for the catalog pages of a bureau's people: the event
messages plus import progress and inbox changes of that bureau.
"""

from __future__ import annotations

from collections import deque
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from portal.consumers import PortalConsumer
from portal.middleware import SESSION_BUREAU_KEY
from portal.tenancy import actor_for

from .services.events import PUBLIC_GROUP, events_group


def _wanted_bureau(scope: dict[str, Any]) -> str | None:
    query = parse_qs(scope.get("query_string", b"").decode("ascii", "replace"))
    code = (query.get("bureau") or [None])[0]
    if code:
        return code.strip().upper()
    session = scope.get("session")
    return session.get(SESSION_BUREAU_KEY) if session is not None else None


def _bureau_id_now(user: Any, scope: dict[str, Any]) -> int | None:
    # sync: the first use of a socket's person reads it (portal.ws_auth)
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    actor = actor_for(user, _wanted_bureau(scope))
    return actor.bureau_id if actor is not None else None


async def _bureau_id(user: Any, scope: dict[str, Any]) -> int | None:
    return await database_sync_to_async(_bureau_id_now)(user, scope)


class EventStreamConsumer(AsyncJsonWebsocketConsumer):
    """``/ws/events/``: published events for anyone, the bureau's own for its people."""

    bureau_id: int | None = None
    joined: list[str]

    async def connect(self) -> None:
        self.seen: deque[tuple[Any, ...]] = deque(maxlen=200)
        self.joined = [PUBLIC_GROUP]
        self.bureau_id = await _bureau_id(self.scope.get("user"), self.scope)
        if self.bureau_id is not None:
            self.joined.append(events_group(self.bureau_id))
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        return None  # a listening stream: nothing to say to it

    async def portal_event(self, message: dict[str, Any]) -> None:
        event = message["event"]
        if event.get("kind") != "catalog.event":
            return
        data = event["data"]
        # A published event of one's own bureau arrives on both groups: send it once.
        key = (data.get("id"), event.get("action"), data.get("properties", {}).get("updated"))
        if key in self.seen:
            return
        self.seen.append(key)
        await self.send_json({"action": event["action"], "data": data})


class CatalogPageConsumer(PortalConsumer):
    """``/ws/catalog/``: everything the catalog tells one bureau (events, imports, inbox)."""

    async def groups_for(self, user: Any) -> list[str] | None:
        bureau_id = await _bureau_id(user, self.scope)
        if bureau_id is None:
            return None
        return [events_group(bureau_id)]
