"""Who may do what with reporting units, zero-reports and anomalies.

Pure predicates ``can_<verb>_<entity>(actor, obj) -> bool``; services check them
again (Celery tasks and commands call services too). Roles are duties: a
discipline expert acts on the anomalies of the discipline they hold.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal.models import Role

if TYPE_CHECKING:
    from portal.models import Discipline
    from portal.tenancy import Actor

    from .models import Anomaly, ReportingUnit


def _same_bureau(actor: Actor | None, bureau_id: int) -> bool:
    return bool(actor and (actor.is_system_admin or actor.bureau_id == bureau_id))


def is_discipline_expert(actor: Actor | None, discipline: Discipline) -> bool:
    return bool(actor and actor.has_role(Role.EXPERT, discipline=discipline))


def can_manage_units(actor: Actor | None) -> bool:
    return bool(actor and (actor.is_system_admin or actor.has_role(Role.BUREAU_ADMIN)))


def can_submit_zero_report(actor: Actor | None, unit: ReportingUnit, *, holds_unit: bool) -> bool:
    """A reporter of the unit's bureau who is responsible for the unit (``holds_unit``)."""
    return bool(
        actor
        and actor.bureau_id == unit.bureau_id
        and actor.has_role(Role.REPORTER)
        and holds_unit
        and unit.is_active
    )


def can_import_zero_reports(actor: Actor | None) -> bool:
    """Reporters import for their own units; a bureau admin for any unit of the bureau."""
    return bool(
        actor and actor.bureau and (actor.has_role(Role.REPORTER) or actor.has_role(Role.BUREAU_ADMIN))
    )


def can_view_matrix(actor: Actor | None) -> bool:
    """The discipline office (experts), bureau admins and forecasters chase the gaps."""
    return bool(
        actor
        and actor.bureau
        and (
            actor.is_system_admin
            or actor.has_role(Role.EXPERT)
            or actor.has_role(Role.BUREAU_ADMIN)
            or actor.has_role(Role.FORECASTER)
            or actor.has_role(Role.REPORTER)
        )
    )


def can_report_anomaly(actor: Actor | None, discipline: Discipline) -> bool:
    """Anomalies from an expert's own analysis or an automatic product (forecasters run products)."""
    return bool(
        actor
        and actor.bureau
        and (is_discipline_expert(actor, discipline) or actor.has_role(Role.FORECASTER))
    )


def can_assign_anomaly(actor: Actor | None, anomaly: Anomaly) -> bool:
    """The discipline office or a bureau admin hands an anomaly to a verifier."""
    return _same_bureau(actor, anomaly.bureau_id) and bool(
        actor and (is_discipline_expert(actor, anomaly.discipline) or actor.has_role(Role.BUREAU_ADMIN))
    )


def can_return_report(actor: Actor | None, anomaly: Anomaly) -> bool:
    return can_assign_anomaly(actor, anomaly)


def can_resubmit_anomaly(actor: Actor | None, anomaly: Anomaly) -> bool:
    """Only the person who reported it revises a returned anomaly."""
    return _same_bureau(actor, anomaly.bureau_id) and bool(actor and actor.user.pk == anomaly.reported_by_id)


def can_withdraw_anomaly(actor: Actor | None, anomaly: Anomaly) -> bool:
    return can_resubmit_anomaly(actor, anomaly)


def can_verify_anomaly(actor: Actor | None, anomaly: Anomaly) -> bool:
    """Only the assigned verifier writes and submits the verification report."""
    return _same_bureau(actor, anomaly.bureau_id) and bool(actor and actor.user.pk == anomaly.assignee_id)


def can_review_verification(actor: Actor | None, anomaly: Anomaly) -> bool:
    """An expert of the discipline other than the verifier (no self-review)."""
    return (
        _same_bureau(actor, anomaly.bureau_id)
        and is_discipline_expert(actor, anomaly.discipline)
        and bool(actor and actor.user.pk != anomaly.assignee_id)
    )


def can_rate_anomaly(actor: Actor | None, anomaly: Anomaly) -> bool:
    """Every expert of the discipline rates on the assessment form."""
    return _same_bureau(actor, anomaly.bureau_id) and is_discipline_expert(actor, anomaly.discipline)


def can_assess_anomaly(actor: Actor | None, anomaly: Anomaly) -> bool:
    return can_rate_anomaly(actor, anomaly)


def can_decide_anomaly(actor: Actor | None, anomaly: Anomaly) -> bool:
    """The discipline group's decision (tracking or closing) is recorded by one of its experts."""
    return can_rate_anomaly(actor, anomaly)


def can_manage_anomaly_settings(actor: Actor | None) -> bool:
    return can_manage_units(actor)
