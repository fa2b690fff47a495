"""Live progress of product runs over websockets.

``/ws/products/`` joins the group of the actor's bureau (every run's progress,
for lists and the gallery); ``/ws/products/<id>/`` the group of one run the
actor may read, and sends its current state on connect so a page opened
mid-run starts from where the run is.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from portal.consumers import PortalConsumer
from portal.exceptions import NotFound
from portal.middleware import SESSION_BUREAU_KEY
from portal.tenancy import actor_for

from . import selectors
from .services import live as live_services


def _actor(scope: dict[str, Any], user: Any):  # type: ignore[no-untyped-def]
    session = scope.get("session")
    code = session.get(SESSION_BUREAU_KEY) if session is not None else None
    return actor_for(user, code) or actor_for(user)


class ProductRunsConsumer(PortalConsumer):
    async def groups_for(self, user: Any) -> list[str] | None:
        actor = await database_sync_to_async(_actor)(self.scope, user)
        if actor is None or actor.bureau is None:
            return None
        return [live_services.runs_group(actor.bureau.pk)]


class ProductRunConsumer(PortalConsumer):
    def _run_state(self, user: Any) -> tuple[str, dict[str, Any]] | None:
        actor = _actor(self.scope, user)
        try:
            run = selectors.run_get(actor=actor, run_id=int(self.scope["url_route"]["kwargs"]["run_id"]))
        except NotFound:
            return None
        return live_services.run_group(run), live_services.run_event(run)

    async def groups_for(self, user: Any) -> list[str] | None:
        state = await database_sync_to_async(self._run_state)(user)
        if state is None:
            return None
        self.initial_event = state[1]
        return [state[0]]

    async def on_open(self, user: Any) -> None:
        await self.send_json(self.initial_event)
