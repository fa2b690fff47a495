"""Reads of the disciplines app. Every query starts from ``visible_to(actor)`` or
``editable_by(actor)``; ``*_get`` raises NotFound for missing and not-yours alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from portal.exceptions import NotFound
from portal.models import AuditEvent, Discipline, Role, User
from portal.selectors import people_who_can
from portal.tenancy import Actor, system_read

from .models import (
    BEIJING,
    DEFAULT_VERIFICATION_HOURS,
    Anomaly,
    AssessmentRating,
    Attachment,
    BureauAnomalySettings,
    ReportingUnit,
    VerificationReport,
    ZeroReport,
)

if TYPE_CHECKING:
    from portal.models import Bureau


def beijing_today(now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(BEIJING).date()


# --- disciplines and people --------------------------------------------------------------


def discipline_list() -> QuerySet[Discipline]:
    return Discipline.objects.all()


def discipline_by_code(*, code: str) -> Discipline | None:
    return Discipline.objects.filter(code=code).first()


def discipline_experts(*, bureau: Bureau | int, discipline: Discipline | int) -> QuerySet[User]:
    """Active experts of ``discipline`` in ``bureau`` (the discipline office), by name."""
    return people_who_can(
        bureau_ids=[bureau if isinstance(bureau, int) else bureau.pk], role=Role.EXPERT, discipline=discipline
    )


def is_discipline_expert_user(*, user: User, bureau: Bureau | int, discipline: Discipline | int) -> bool:
    return discipline_experts(bureau=bureau, discipline=discipline).filter(pk=user.pk).exists()


def bureau_reporters(*, actor: Actor) -> QuerySet[User]:
    if actor.bureau is None:
        return User.objects.none()
    return people_who_can(bureau_ids=[actor.bureau.pk], role=Role.REPORTER)


@system_read("the bureau's own settings, for the system and the settings page")
def anomaly_settings_for(*, bureau: Bureau | int) -> BureauAnomalySettings:
    """The bureau's settings; an unsaved row with the defaults when none is stored."""
    bureau_id = bureau if isinstance(bureau, int) else bureau.pk
    found = BureauAnomalySettings.objects.filter(bureau_id=bureau_id).first()
    return found or BureauAnomalySettings(
        bureau_id=bureau_id,
        verification_hours=DEFAULT_VERIFICATION_HOURS,
        assessment_hours=DEFAULT_VERIFICATION_HOURS,
    )


# --- reporting units ---------------------------------------------------------------------


def unit_list(
    *, actor: Actor | None, discipline: str | None = None, active_only: bool = True
) -> QuerySet[ReportingUnit]:
    qs = ReportingUnit.objects.visible_to(actor).select_related("discipline")
    if active_only:
        qs = qs.filter(is_active=True)
    if discipline:
        qs = qs.filter(discipline__code=discipline)
    return qs.order_by("discipline__order", "code")


def unit_get(*, actor: Actor | None, unit_id: int) -> ReportingUnit:
    try:
        return unit_list(actor=actor, active_only=False).get(pk=unit_id)
    except (ReportingUnit.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def unit_by_codes(*, actor: Actor, codes: list[str]) -> dict[str, ReportingUnit]:
    return {u.code: u for u in unit_list(actor=actor, active_only=False).filter(code__in=codes)}


def units_held_by(*, actor: Actor | None) -> QuerySet[ReportingUnit]:
    """The units the person reports for, in the bureau they act in."""
    if actor is None:
        return ReportingUnit.objects.none()
    return unit_list(actor=actor).filter(reporters=actor.user)


def unit_is_held(*, actor: Actor, unit: ReportingUnit) -> bool:
    return unit.reporters.filter(pk=actor.user.pk).exists()


def held_unit_ids(*, actor: Actor) -> set[int]:
    return set(units_held_by(actor=actor).values_list("pk", flat=True))


# --- zero-reports --------------------------------------------------------------------------


def zero_report_list(
    *,
    actor: Actor | None,
    unit_id: int | None = None,
    discipline: str | None = None,
    start: date | None = None,
    end: date | None = None,
    status: str | None = None,
) -> QuerySet[ZeroReport]:
    qs = ZeroReport.objects.visible_to(actor).select_related("unit", "unit__discipline", "reported_by")
    if unit_id:
        qs = qs.filter(unit_id=unit_id)
    if discipline:
        qs = qs.filter(unit__discipline__code=discipline)
    if start:
        qs = qs.filter(period__gte=start)
    if end:
        qs = qs.filter(period__lte=end)
    if status == "late":
        qs = qs.filter(is_late=True)
    elif status:
        qs = qs.filter(status=status)
    return qs.order_by("-period", "unit__code")


def zero_report_get(*, actor: Actor | None, report_id: int) -> ZeroReport:
    try:
        return (
            zero_report_list(actor=actor)
            .prefetch_related(Prefetch("revisions", to_attr="history"))
            .get(pk=report_id)
        )
    except (ZeroReport.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


@dataclass
class MatrixRow:
    unit: ReportingUnit
    cells: list[str]  # one code per day, see MATRIX_CODES

    @property
    def missing(self) -> int:
        return self.cells.count("m")


# o on time, l late, a anomaly, m missing (deadline passed), p pending (not due yet),
# "-" not a period of this unit (a weekly unit's other days).
MATRIX_CODES = ("o", "l", "a", "m", "p", "-")


@dataclass
class Matrix:
    days: list[date]
    rows: list[MatrixRow] = field(default_factory=list)

    def totals(self) -> dict[str, int]:
        counts = dict.fromkeys(MATRIX_CODES, 0)
        for row in self.rows:
            for code in row.cells:
                counts[code] += 1
        return counts


def _last_overdue_period(unit: ReportingUnit, now: datetime) -> date:
    """The latest period whose deadline has passed at ``now`` (deadline: the day after the period
    ends, at ``deadline_time`` Beijing time)."""
    local = now.astimezone(BEIJING)
    length = 7 if unit.schedule == ReportingUnit.Schedule.WEEKLY else 1
    due_day = local.date() if unit.deadline_time <= local.time() else local.date() - timedelta(days=1)
    return due_day - timedelta(days=length)


def zero_report_matrix(
    *, actor: Actor | None, units: list[ReportingUnit], start: date, end: date, now: datetime | None = None
) -> Matrix:
    """Units by days with each cell's state, in one query for the reports of all the units.

    Cells: o on time, l late, a anomaly, m missing (its deadline passed), p not due yet,
    "-" a weekly unit's days other than the Monday its period starts on.
    """
    now = now or timezone.now()
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    found: dict[tuple[int, date], str] = {
        (unit_id, period): ("a" if status == ZeroReport.Status.ANOMALY else "l" if late else "o")
        for unit_id, period, status, late in ZeroReport.objects.visible_to(actor)
        .filter(unit_id__in=[u.pk for u in units], period__gte=start, period__lte=end)
        .values_list("unit_id", "period", "status", "is_late")
    }
    matrix = Matrix(days=days)
    for unit in units:
        overdue_until = _last_overdue_period(unit, now)
        weekly = unit.schedule == ReportingUnit.Schedule.WEEKLY
        cells = []
        for day in days:
            if weekly and day.weekday() != 0:
                cells.append("-")
                continue
            code = found.get((unit.pk, day))
            cells.append(code or ("m" if day <= overdue_until else "p"))
        matrix.rows.append(MatrixRow(unit=unit, cells=cells))
    return matrix


def units_due(*, actor: Actor, now: datetime | None = None) -> list[tuple[ReportingUnit, date, bool]]:
    """The reporter's units still without a report for the period now open or overdue.

    Returns (unit, period, overdue): the period just ended (due by its deadline) and
    whether that deadline has passed.
    """
    now = now or timezone.now()
    today = beijing_today(now)
    units = list(units_held_by(actor=actor))
    wanted: dict[int, date] = {}
    for unit in units:
        # the last complete period: yesterday for daily units, last week for weekly ones
        wanted[unit.pk] = unit.period_start(today - timedelta(days=1 if unit.schedule == "daily" else 7))
    done = set(
        ZeroReport.objects.visible_to(actor)
        .filter(unit_id__in=list(wanted), period__in=set(wanted.values()))
        .values_list("unit_id", "period")
    )
    return [
        (unit, wanted[unit.pk], unit.deadline_for(wanted[unit.pk]) <= now)
        for unit in units
        if (unit.pk, wanted[unit.pk]) not in done
    ]


def missing_summary(*, actor: Actor, days: int = 7, now: datetime | None = None) -> dict[str, int]:
    """Missing reports of the bureau over the last ``days`` days, by discipline code."""
    if actor.bureau is None:  # no bureau, no units of its own
        return {}
    now = now or timezone.now()
    today = beijing_today(now)
    units = list(unit_list(actor=actor).filter(bureau=actor.bureau))
    matrix = zero_report_matrix(
        actor=actor, units=units, start=today - timedelta(days=days), end=today, now=now
    )
    summary: dict[str, int] = {}
    for row in matrix.rows:
        if row.missing:
            code = row.unit.discipline.code
            summary[code] = summary.get(code, 0) + row.missing
    return summary


# --- anomalies -----------------------------------------------------------------------------


def anomaly_list(
    *,
    actor: Actor | None,
    state: str | None = None,
    discipline: str | None = None,
    open_only: bool = False,
    assignee: User | None = None,
    start: date | None = None,
    end: date | None = None,
) -> QuerySet[Anomaly]:
    qs = Anomaly.objects.visible_to(actor).select_related(
        "discipline", "unit", "assignee", "reported_by", "bureau"
    )
    if state:
        qs = qs.filter(state=state)
    if open_only:
        qs = qs.exclude(state=Anomaly.State.CLOSED)
    if discipline:
        qs = qs.filter(discipline__code=discipline)
    if assignee is not None:
        qs = qs.filter(assignee=assignee)
    if start:
        qs = qs.filter(onset_at__date__gte=start)
    if end:
        qs = qs.filter(onset_at__date__lte=end)
    return qs.order_by("-onset_at", "-id")


def anomaly_get(*, actor: Actor | None, anomaly_id: int) -> Anomaly:
    try:
        return anomaly_list(actor=actor).get(pk=anomaly_id)
    except (Anomaly.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def anomaly_history(*, anomaly: Anomaly) -> QuerySet[AuditEvent]:
    """The audit trail of one anomaly, oldest first; the caller has checked visibility."""
    return (
        AuditEvent.objects.filter(target_type=anomaly._meta.label_lower, target_id=str(anomaly.pk))
        .select_related("actor")
        .order_by("created_at", "id")
    )


@system_read("rows of an anomaly the caller already read")
def anomaly_attachments(*, anomaly: Anomaly) -> QuerySet[Attachment]:
    return Attachment.objects.filter(anomaly=anomaly, bureau_id=anomaly.bureau_id).select_related(
        "uploaded_by"
    )


@system_read("visible through its anomaly (visible_to)")
def attachment_get(*, actor: Actor | None, attachment_id: int) -> Attachment:
    """An attachment whose anomaly ``actor`` may read."""
    visible = Anomaly.objects.visible_to(actor).values("pk")
    try:
        return Attachment.objects.select_related("anomaly").get(pk=attachment_id, anomaly_id__in=visible)
    except (Attachment.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


@system_read("rows of an anomaly the caller already read")
def anomaly_verification(*, anomaly: Anomaly) -> VerificationReport | None:
    """The anomaly's verification report (draft or submitted); the caller has checked visibility."""
    return (
        VerificationReport.objects.filter(anomaly=anomaly, bureau_id=anomaly.bureau_id)
        .select_related("verifier")
        .first()
    )


@system_read("rows of an anomaly the caller already read")
def anomaly_ratings(*, anomaly: Anomaly) -> QuerySet[AssessmentRating]:
    return AssessmentRating.objects.filter(anomaly=anomaly, bureau_id=anomaly.bureau_id).select_related(
        "expert"
    )


def _office_disciplines(actor: Actor) -> set[str] | None:
    """The disciplines whose anomalies wait for ``actor``: their expert disciplines; all for a bureau admin."""
    codes = actor.disciplines_for(Role.EXPERT)
    if codes is not None and not codes and (actor.has_role(Role.BUREAU_ADMIN) or actor.is_system_admin):
        return None
    return codes


def anomaly_counts(*, actor: Actor, now: datetime | None = None) -> dict[str, int]:
    """What waits for the person: anomalies to assign, verify, assess, and how many are overdue."""
    now = now or timezone.now()
    codes = _office_disciplines(actor)
    qs = Anomaly.objects.editable_by(actor)
    if codes is not None:
        qs = qs.filter(discipline__code__in=codes)
    counts = qs.aggregate(
        to_assign=Count("pk", filter=Q(state=Anomaly.State.REPORTED)),
        to_verify=Count("pk", filter=Q(state=Anomaly.State.VERIFYING, assignee=actor.user)),
        to_assess=Count("pk", filter=Q(state=Anomaly.State.VERIFIED)),
        overdue=Count(
            "pk",
            filter=Q(state=Anomaly.State.VERIFYING, verify_due_at__lt=now)
            | Q(state=Anomaly.State.VERIFIED, assess_due_at__lt=now),
        ),
        tracking=Count("pk", filter=Q(state=Anomaly.State.TRACKING)),
    )
    return {k: int(v or 0) for k, v in counts.items()}


def anomalies_waiting(*, actor: Actor, limit: int = 6) -> list[Anomaly]:
    if actor.bureau is None:  # no bureau, no anomalies of its own
        return []
    codes = _office_disciplines(actor)
    qs = anomaly_list(actor=actor).filter(bureau=actor.bureau)
    if codes is not None:
        qs = qs.filter(discipline__code__in=codes)
    qs = qs.filter(
        Q(state__in=[Anomaly.State.REPORTED, Anomaly.State.VERIFIED])
        | Q(state=Anomaly.State.VERIFYING, assignee=actor.user)
    )
    return list(qs.order_by("verify_due_at", "-onset_at")[:limit])


# --- workers (act for the system, not for a person) ----------------------------------------


@system_read("the reminder beat job over every bureau")
def units_for_reminders() -> QuerySet[ReportingUnit]:
    return ReportingUnit.objects.filter(is_active=True).select_related("discipline", "bureau")


@system_read("the overdue beat job over every bureau")
def anomalies_overdue(*, now: datetime) -> QuerySet[Anomaly]:
    return Anomaly.objects.filter(
        state=Anomaly.State.VERIFYING, verify_due_at__lt=now, overdue_reminded_at__isnull=True
    ).select_related("discipline", "assignee", "bureau")
