"""Websocket consumers of the portal core."""

from __future__ import annotations

from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .selectors import notification_unread_count
from .services import bureau_group, user_group
from .tenancy import bureaus_of
from .ws_auth import resolved_user

UNAUTHENTICATED = 4401


class PortalConsumer(AsyncJsonWebsocketConsumer):
    """Base: refuses anonymous sockets; relays ``portal.event`` group messages as JSON."""

    groups_joined: list[str]

    async def connect(self) -> None:
        user = await database_sync_to_async(resolved_user)(self.scope)
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=UNAUTHENTICATED)
            return
        self.groups_joined = []
        groups = await self.groups_for(user)
        if groups is None:
            await self.close(code=4403)
            return
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)
        await self.accept()
        await self.on_open(user)

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' dispatch without its ``aclose_old_connections()`` before each handler.

        Channels (4.2+) runs ``close_old_connections`` before every message it dispatches,
        as a ``sync_to_async`` call: a hop to the process's one sync thread for each group
        message each socket relays. A room of 200 people made 200 such hops per room event,
        queued behind the joins' queries (issue 18). The portal's consumers reach the
        database only through ``database_sync_to_async``, which closes old connections
        around each call in that thread itself, so the hop bought nothing here.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def groups_for(self, user: Any) -> list[str] | None:
        raise NotImplementedError

    async def on_open(self, user: Any) -> None:
        return None

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def portal_event(self, message: dict[str, Any]) -> None:
        await self.send_json(message["event"])


class NotificationConsumer(PortalConsumer):
    """``/ws/notifications/``: the person's own notifications and their bureaus' notices."""

    async def groups_for(self, user: Any) -> list[str]:
        bureaus = await database_sync_to_async(bureaus_of)(user)
        return [user_group(user.pk), *(bureau_group(b.pk) for b in bureaus)]

    async def on_open(self, user: Any) -> None:
        unread = await database_sync_to_async(notification_unread_count)(user=user)
        await self.send_json({"kind": "hello", "unread": unread})

    async def portal_event(self, message: dict[str, Any]) -> None:
        event = message["event"]
        recipients = event.get("recipients")
        if recipients is not None and self.scope["user"].pk not in recipients:
            return  # a notice to some roles of the bureau only
        await self.send_json(event)
