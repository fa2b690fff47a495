"""Who may run products and set up schedules (pure functions of the actor)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from portal.models import Role

if TYPE_CHECKING:
    from portal.tenancy import Actor

    from .models import ProductRun, ProductSchedule


def can_run_products(actor: Actor | None, *, method: Any = None, series: bool = False) -> bool:
    """Forecasters and the experts of the method's discipline run products for their bureau
    (and the system admin). With no method (the run form, the menu): forecasters and the
    experts of any discipline that has methods."""
    from .methods.registry import METHODS, method_for

    if actor is None or actor.bureau is None:
        return bool(actor and actor.is_system_admin)
    if actor.is_system_admin or actor.has_role(Role.FORECASTER):
        return True
    if isinstance(method, str) and method in METHODS:
        disciplines = {method_for(method, series=series).discipline}
    else:
        disciplines = {m.discipline for m in METHODS.values()} | {
            m.series_form.discipline for m in METHODS.values() if m.series_form is not None
        }
    return any(actor.has_role(Role.EXPERT, discipline=code) for code in disciplines)


def can_rerun_run(actor: Actor | None, run: ProductRun) -> bool:
    if actor is None:
        return False
    return actor.is_system_admin or (actor.bureau_id == run.bureau_id and can_run_products(actor))


def can_manage_schedules(actor: Actor | None, *, method: Any = None) -> bool:
    """Forecasters set up, pause, edit and start recurring products of their bureau; a
    discipline's experts those of their discipline's methods (a daily 逐日比 is the
    electromagnetism group's own product). With no method (the menu, the list): anyone who
    may set up some schedule."""
    if actor is None:
        return False
    if actor.is_system_admin:
        return True
    if actor.bureau is None:
        return False
    if actor.has_role(Role.FORECASTER):
        return True
    return can_run_products(actor, method=method, series=_is_series_method(method))


def _is_series_method(method: Any) -> bool:
    from .methods.registry import METHODS

    return isinstance(method, str) and method in METHODS and METHODS[method].input == "series"


def can_change_schedule(actor: Actor | None, schedule: ProductSchedule) -> bool:
    if actor is None:
        return False
    return actor.is_system_admin or (
        actor.bureau_id == schedule.bureau_id and can_manage_schedules(actor, method=schedule.method)
    )
