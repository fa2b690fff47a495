"""Who authors, runs and switches on flows (pure functions of the actor)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal.models import Role

if TYPE_CHECKING:
    from portal.tenancy import Actor

    from .models import Flow, FlowRun


def can_author_flows(actor: Actor | None) -> bool:
    """Forecasters and the experts (of any discipline) of a bureau compose its flows."""
    if actor is None or actor.bureau is None:
        return False
    return actor.is_system_admin or actor.has_role(Role.FORECASTER) or actor.has_role(Role.EXPERT)


def can_edit_flow(actor: Actor | None, flow: Flow) -> bool:
    return can_author_flows(actor) and actor is not None and actor.bureau_id == flow.bureau_id


def can_run_flow(actor: Actor | None, flow: Flow) -> bool:
    return can_edit_flow(actor, flow)


def can_set_triggers(actor: Actor | None, flow: Flow) -> bool:
    """Only a bureau admin (of the flow's bureau) lets a flow's triggers start runs."""
    if actor is None or actor.bureau_id != flow.bureau_id:
        return False
    return actor.is_system_admin or actor.has_role(Role.BUREAU_ADMIN)


def can_cancel_run(actor: Actor | None, run: FlowRun) -> bool:
    """The flow's authors (its bureau's forecasters and experts) and the bureau admin."""
    if actor is None or actor.bureau_id != run.bureau_id:
        return False
    return can_edit_flow(actor, run.flow) or actor.is_system_admin or actor.has_role(Role.BUREAU_ADMIN)
