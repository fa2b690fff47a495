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

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from portal.consumers import PortalConsumer
from portal.fanout import Fanout
from portal.middleware import SESSION_BUREAU_KEY
from portal.tenancy import actor_for

from .services.events import PUBLIC_GROUP, events_group

if TYPE_CHECKING:
    from collections.abc import Hashable


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


def event_stream_text(message: dict[str, Any]) -> tuple[Hashable, str] | None:
    """What ``/ws/events/`` writes for a group message: ``{"action", "data"}`` as JSON (the
    encoding of ``send_json``), made once per process and message; None for other messages.
    The key is the same for the copies of one event version that come on two groups."""
    event = message.get("event") if message.get("type") == "portal.event" else None
    if not isinstance(event, dict) or event.get("kind") != "catalog.event":
        return None
    data = event["data"]
    key = (data.get("id"), event.get("action"), data.get("properties", {}).get("updated"))
    # json.dumps is what AsyncJsonWebsocketConsumer.encode_json (send_json) does
    return key, json.dumps({"action": event["action"], "data": data})


#: the event stream's sockets of this process: one channel-layer member per group and process
EVENT_STREAM = Fanout("catalog.events", event_stream_text)


class EventStreamConsumer(AsyncJsonWebsocketConsumer):
    """``/ws/events/``: published events for anyone, the bureau's own for its people.

    The many-subscriber stream (issue 18): its sockets join ``EVENT_STREAM``, which hears each
    group once per process and writes one rendering of each message to every local socket of
    the groups (``portal.fanout``); the socket itself has no channel of its own.
    """

    # names no configured layer, so channels gives the socket no channel (get_channel_layer:
    # None) and does not wait on one; EVENT_STREAM holds the process's channels
    channel_layer_alias = "catalog.events.no-own-channel"
    bureau_id: int | None = None
    joined: list[str]

    async def connect(self) -> None:
        self.joined = [PUBLIC_GROUP]
        self.bureau_id = await _bureau_id(self.scope.get("user"), self.scope)
        if self.bureau_id is not None:
            self.joined.append(events_group(self.bureau_id))
        await EVENT_STREAM.join(self, self.joined)  # accepts the socket

    async def disconnect(self, code: int) -> None:
        await EVENT_STREAM.leave(self)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        return None  # a listening stream: nothing to say to it


class CatalogPageConsumer(PortalConsumer):
    """``/ws/catalog/``: everything the catalog tells one bureau (events, imports, inbox)."""

    async def groups_for(self, user: Any) -> list[str] | None:
        bureau_id = await _bureau_id(user, self.scope)
        if bureau_id is None:
            return None
        return [events_group(bureau_id)]
