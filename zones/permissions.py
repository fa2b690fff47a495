"""Who may do what with danger zones (pure predicates; the workflow and services use them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal.models import Role

if TYPE_CHECKING:
    from portal.tenancy import Actor

    from .models import DangerZone, TrackingReport

# National zones are entered by CENC's forecasters, chairs and admins; a province's by its own.
ZONE_ROLES = (Role.FORECASTER, Role.CHAIR, Role.BUREAU_ADMIN)
TRACKING_ROLES = (Role.FORECASTER, Role.CHAIR, Role.EXPERT)


def _holds(actor: Actor | None, roles: tuple[str, ...]) -> bool:
    return bool(actor and actor.bureau is not None and any(actor.has_role(r) for r in roles))


def can_create_zone(actor: Actor | None) -> bool:
    return bool(actor and actor.bureau is not None and (actor.is_system_admin or _holds(actor, ZONE_ROLES)))


def can_manage_zone(actor: Actor | None, zone: DangerZone) -> bool:
    """Edit, publish, withdraw, score: the zone's own bureau's forecasters, chairs and admins."""
    return bool(actor and zone.bureau_id == actor.bureau_id and can_create_zone(actor))


def can_track_zone(actor: Actor | None, zone: DangerZone) -> bool:
    """Keep a tracking plan, link anomalies, runs and meetings, write tracking reports: a
    working role in the zone's bureau or in a bureau it names responsible (or, for a national
    zone, any bureau: every province tracks the national zones in its territory)."""
    if not _holds(actor, TRACKING_ROLES) or actor is None or actor.bureau is None:
        return False
    if zone.status not in ("published", "scored") and zone.bureau_id != actor.bureau_id:
        return False
    return (
        zone.bureau_id == actor.bureau_id
        or zone.bureau.reads_published
        or zone.bureaus.filter(pk=actor.bureau_id).exists()
    )


def can_write_report(actor: Actor | None, report: TrackingReport) -> bool:
    return bool(
        actor
        and report.bureau_id == actor.bureau_id
        and (actor.has_role(Role.FORECASTER) or actor.has_role(Role.CHAIR))
    )


def can_issue_report(actor: Actor | None, report: TrackingReport) -> bool:
    return bool(actor and report.bureau_id == actor.bureau_id and actor.has_role(Role.APPROVER))
