"""Who may run products and set up schedules (pure functions of the actor)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal.models import Role

if TYPE_CHECKING:
    from portal.tenancy import Actor

    from .models import ProductRun, ProductSchedule


def can_run_products(actor: Actor | None) -> bool:
    """Forecasters and seismology experts run products for their bureau (and the system admin)."""
    if actor is None or actor.bureau is None:
        return bool(actor and actor.is_system_admin)
    return (
        actor.is_system_admin
        or actor.has_role(Role.FORECASTER)
        or actor.has_role(Role.EXPERT, discipline="seismology")
    )


def can_rerun_run(actor: Actor | None, run: ProductRun) -> bool:
    if actor is None:
        return False
    return actor.is_system_admin or (actor.bureau_id == run.bureau_id and can_run_products(actor))


def can_manage_schedules(actor: Actor | None) -> bool:
    """Forecasters set up, pause, edit and start recurring products of their bureau."""
    if actor is None:
        return False
    return actor.is_system_admin or (actor.bureau is not None and actor.has_role(Role.FORECASTER))


def can_change_schedule(actor: Actor | None, schedule: ProductSchedule) -> bool:
    if actor is None:
        return False
    return actor.is_system_admin or (actor.bureau_id == schedule.bureau_id and can_manage_schedules(actor))
