"""Who may do what with special-topic reports and GIS layers (pure predicates)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal.models import Role

if TYPE_CHECKING:
    from portal.tenancy import Actor

    from .models import TopicReport

# People on duty when a quake strikes: they rebuild a failed report and retry a push.
DUTY_ROLES = (Role.FORECASTER, Role.CHAIR, Role.BUREAU_ADMIN)


def _in_bureau(actor: Actor | None, bureau_id: int | None) -> bool:
    return bool(actor and actor.bureau is not None and actor.bureau_id == bureau_id)


def can_rebuild_topic_report(actor: Actor | None, report: TopicReport) -> bool:
    """Forecasters, chairs and bureau admins of the report's own bureau (or the system admin)."""
    if actor is None:
        return False
    if actor.is_system_admin:
        return True
    return _in_bureau(actor, report.bureau_id) and any(actor.has_role(r) for r in DUTY_ROLES)


def can_manage_gis_layers(actor: Actor | None) -> bool:
    """Bureau admins and forecasters upload and delete their bureau's layers."""
    if actor is None or actor.bureau is None:
        return False
    return actor.is_system_admin or actor.has_role(Role.BUREAU_ADMIN) or actor.has_role(Role.FORECASTER)


def can_manage_topic_settings(actor: Actor | None) -> bool:
    """Bureau admins set when reports are built and where they are pushed."""
    if actor is None or actor.bureau is None:
        return False
    return actor.is_system_admin or actor.has_role(Role.BUREAU_ADMIN)


def can_see_topic_dashboard(actor: Actor | None) -> bool:
    if actor is None or actor.bureau is None:
        return False
    return actor.is_system_admin or any(actor.has_role(r) for r in DUTY_ROLES)
