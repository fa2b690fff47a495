"""Who may import observation series.

A bureau admin of the channel's bureau, or a discipline expert of the bureau whose
disciplines cover the channel's (an expert of fluids imports water level, not
geomagnetism); the system admin too. Reading is tenancy only (selectors)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal.models import Role

if TYPE_CHECKING:
    from portal.tenancy import Actor

    from .models import Channel


def can_start_series_import(actor: Actor | None) -> bool:
    """May upload a series file at all (each channel it touches is checked when it runs)."""
    if actor is None:
        return False
    if actor.is_system_admin:
        return True
    return bool(actor.bureau and (actor.has_role(Role.BUREAU_ADMIN) or actor.has_role(Role.EXPERT)))


def can_import_into(actor: Actor | None, channel: Channel) -> bool:
    if actor is None:
        return False
    if actor.is_system_admin:
        return True
    if actor.bureau_id != channel.bureau_id:
        return False
    if actor.has_role(Role.BUREAU_ADMIN):
        return True
    return actor.has_role(Role.EXPERT, discipline=channel.discipline.code)
