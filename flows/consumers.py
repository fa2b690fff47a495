"""Live states of a flow run's nodes: ``/ws/flows/runs/<id>/`` joins the run's group
(``bureau.<id>.flowrun.<run_id>``) when the actor may read the run."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from portal.consumers import PortalConsumer
from portal.exceptions import NotFound
from portal.middleware import SESSION_BUREAU_KEY
from portal.tenancy import actor_for

from . import selectors
from .services.live import run_group


def _group(scope: dict[str, Any], user: Any) -> str | None:
    session = scope.get("session")
    code = session.get(SESSION_BUREAU_KEY) if session is not None else None
    actor = actor_for(user, code) or actor_for(user)
    try:
        run = selectors.run_get(actor=actor, run_id=int(scope["url_route"]["kwargs"]["run_id"]))
    except NotFound:
        return None
    return run_group(run.bureau_id, run.pk)


class FlowRunConsumer(PortalConsumer):
    async def groups_for(self, user: Any) -> list[str] | None:
        group = await database_sync_to_async(_group)(self.scope, user)
        return [group] if group else None
