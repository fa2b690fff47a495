"""``/ws/disciplines/``: live zero-report and anomaly events of the person's bureau."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from portal.consumers import PortalConsumer
from portal.tenancy import actor_for

from .services import live_group


class DisciplinesConsumer(PortalConsumer):
    """Joins the group of the bureau chosen by ``?bureau=CODE`` (default: the person's first).

    The tenant comes from the person's memberships, never from the client: a code
    the person holds no role in is refused (4403).
    """

    async def groups_for(self, user: Any) -> list[str] | None:
        query = dict(
            part.split("=", 1)
            for part in self.scope.get("query_string", b"").decode().split("&")
            if "=" in part
        )
        actor = await database_sync_to_async(actor_for)(user, (query.get("bureau") or "").upper() or None)
        if actor is None or actor.bureau is None:
            return None
        return [live_group(actor.bureau.pk)]
