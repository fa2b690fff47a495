"""Who authors, runs and switches on flows (pure functions of the actor)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal.models import Role

if TYPE_CHECKING:
    from portal.tenancy import Actor

    from .models import Flow, FlowRun, StoreEntry


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


# --- the flow store -----------------------------------------------------------------------


def can_read_store(actor: Actor | None) -> bool:
    """The store is shared: every signed-in person of any bureau reads its entries."""
    return actor is not None and (actor.bureau is not None or actor.is_system_admin)


def _is_bureau_admin_of(actor: Actor | None, bureau_id: int | None) -> bool:
    return (
        actor is not None
        and bureau_id is not None
        and actor.bureau_id == bureau_id
        and actor.has_role(Role.BUREAU_ADMIN)
    )


def can_publish_flow(actor: Actor | None, flow: Flow) -> bool:
    """Who publishes a flow of the bureau to the store: its authors (the bureau's forecasters
    and experts, who answer for the method) or its bureau admin. No approval step: the store
    shares the definition only (never data, runs or outputs) and an installed copy starts
    nothing until the installing bureau's admin enables its triggers."""
    return can_edit_flow(actor, flow) or _is_bureau_admin_of(actor, flow.bureau_id)


def can_manage_entry(actor: Actor | None, entry: StoreEntry) -> bool:
    """Screenshots and descriptions of an entry: the publishing bureau's authors and admin
    (a built-in entry is the portal's: nobody changes it here)."""
    if actor is None or entry.bureau_id is None or actor.bureau_id != entry.bureau_id:
        return False
    return can_author_flows(actor) or actor.has_role(Role.BUREAU_ADMIN)


def can_install_flows(actor: Actor | None) -> bool:
    """Installing makes a flow in the person's bureau: its authors or its bureau admin."""
    if actor is None or actor.bureau is None:
        return False
    return can_author_flows(actor) or actor.has_role(Role.BUREAU_ADMIN)


def can_rate_entry(actor: Actor | None, entry: StoreEntry) -> bool:
    """Anyone of another bureau rates an entry (a bureau does not rate its own flow)."""
    return actor is not None and actor.bureau is not None and actor.bureau_id != entry.bureau_id


def can_feature_entries(actor: Actor | None) -> bool:
    return actor is not None and actor.is_system_admin
