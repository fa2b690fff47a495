"""Reads of consultations: every query starts from ``visible_to(actor)``."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.arrival import Outcome
from disciplines.selectors import anomaly_list
from portal.exceptions import NotFound
from portal.models import Bureau, Membership, Role, User
from portal.tenancy import Actor, system_read

from .models import (
    Conclusion,
    ConsultationReport,
    DisciplineOpinion,
    EmergencySettings,
    Forecast,
    Meeting,
    MeetingKind,
    MeetingMaterial,
    ReportStatus,
    RoomEvent,
    RoomPresence,
    Vote,
)
from .permissions import can_join_room

if TYPE_CHECKING:
    from catalog.models import Event


def meeting_list(
    *,
    actor: Actor | None,
    kind: str | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    text: str | None = None,
) -> QuerySet[Meeting]:
    """Meetings the actor may read (own bureau's, and joint meetings their bureau is in)."""
    qs = Meeting.objects.visible_to(actor).select_related("bureau", "chair", "recorder")
    if kind:
        qs = qs.filter(kind=kind)
    if start:
        qs = qs.filter(starts_at__gte=start)
    if end:
        qs = qs.filter(starts_at__lt=end)
    if text:
        # the title, the agenda, the conclusion and the opinions are what people remember
        ids = DisciplineOpinion.objects.visible_to(actor).filter(summary__icontains=text).values("meeting_id")
        qs = qs.filter(
            Q(title__icontains=text)
            | Q(agenda__icontains=text)
            | Q(conclusion__text__icontains=text)
            | Q(id__in=ids)
        )
    return qs


def meeting_get(*, actor: Actor | None, meeting_id: int) -> Meeting:
    try:
        return meeting_list(actor=actor).get(pk=meeting_id)
    except (Meeting.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def meeting_is_visible(*, actor: Actor | None, meeting: Meeting) -> bool:
    """Whether ``actor`` may open ``meeting`` (``meeting_get`` would not answer 404). A report
    issued by a bureau is read outside it; the meeting it came from is not."""
    return meeting_list(actor=actor).filter(pk=meeting.pk).exists()


def material_get(*, actor: Actor | None, material_id: int) -> MeetingMaterial:
    """A meeting's material the actor may read (their bureau's or a joint meeting's); NotFound
    otherwise."""
    try:
        return MeetingMaterial.objects.visible_to(actor).select_related("meeting").get(pk=material_id)
    except MeetingMaterial.DoesNotExist:
        raise NotFound() from None


@system_read("the room checks can_join_room on the row it returns")
def meeting_for_room(*, user: User, meeting_id: int) -> Meeting | None:
    """The meeting if ``user`` may join its live room (participant or member of its bureaus).

    One query: the meeting with the two facts ``can_join_room`` decides on (issue 18: a
    room's join is one database call on the thread every join of the process queues
    for). Written in SQL because the ORM took ~1.7 ms of that thread to compile the same
    query with its two ``Exists`` (the SQL runs in ~0.3 ms); ``member`` is
    ``portal.selectors.memberships_active`` (unrevoked, any role) in the owning bureau or a
    joint partner. tests/consultations/test_room_join.py holds it to the rule, case by case.
    """
    sql = f"""
        SELECT m.*,
            EXISTS (SELECT 1 FROM {_PARTICIPANTS} p WHERE p.meeting_id = m.id AND p.user_id = %s) AS room_listed,
            EXISTS (
                SELECT 1 FROM {_MEMBERSHIPS} ms
                WHERE ms.user_id = %s AND ms.revoked_at IS NULL
                    AND (ms.bureau_id = m.bureau_id
                        OR ms.bureau_id IN (SELECT j.bureau_id FROM {_JOINT} j WHERE j.meeting_id = m.id))
            ) AS room_member
        FROM {_MEETINGS} m
        WHERE m.id = %s
    """  # noqa: S608  (table names from the models' _meta, values as parameters)
    found = list(Meeting.objects.raw(sql, [user.pk, user.pk, meeting_id]))
    if not found:
        return None
    meeting = found[0]
    # the two columns the SQL adds
    listed, member = meeting.room_listed, meeting.room_member  # type: ignore[attr-defined]
    if not can_join_room(user, meeting, listed=listed, member=member):
        return None
    return meeting


_MEETINGS = Meeting._meta.db_table
_PARTICIPANTS = Meeting.participants.through._meta.db_table
_JOINT = Meeting.joint_bureaus.through._meta.db_table
_MEMBERSHIPS = Membership._meta.db_table


@system_read(
    "the name of the room's group only: the join checks the right to the room before the socket hears anything"
)
def meeting_bureau_id(*, meeting_id: int) -> int | None:
    return Meeting.objects.filter(pk=meeting_id).values_list("bureau_id", flat=True).first()


def meeting_month(*, actor: Actor | None, year: int, month: int) -> QuerySet[Meeting]:
    tz = timezone.get_current_timezone()
    start = dt.datetime(year, month, 1, tzinfo=tz)
    end = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
    return meeting_list(actor=actor, start=start, end=end).order_by("starts_at")


def meeting_upcoming_chaired(*, actor: Actor) -> QuerySet[Meeting]:
    return (
        meeting_list(actor=actor)
        .filter(chair=actor.user, status__in=[Meeting.Status.SCHEDULED, Meeting.Status.OPEN])
        .order_by("starts_at")
    )


@system_read("the acting bureau's own opinions")
def meetings_needing_opinion(*, actor: Actor) -> list[tuple[Meeting, str]]:
    """(meeting, discipline code) pairs where the actor's disciplines have given no opinion yet."""
    codes = actor.disciplines_for(Role.EXPERT)
    if codes is None:
        from portal.models import Discipline

        codes = set(Discipline.objects.values_list("code", flat=True))
    if not codes:
        return []
    meetings = meeting_list(actor=actor).exclude(status=Meeting.Status.CLOSED).order_by("starts_at")[:20]
    given = set(
        DisciplineOpinion.objects.filter(meeting__in=meetings, bureau_id=actor.bureau_id).values_list(
            "meeting_id", "discipline__code"
        )
    )
    return [(m, code) for m in meetings for code in sorted(codes) if (m.pk, code) not in given]


def opinion_list(*, actor: Actor | None, meeting: Meeting) -> QuerySet[DisciplineOpinion]:
    return (
        DisciplineOpinion.objects.visible_to(actor)
        .filter(meeting=meeting)
        .select_related("discipline", "author", "bureau")
        .prefetch_related("revisions")
    )


def opinion_get(*, actor: Actor | None, opinion_id: int) -> DisciplineOpinion:
    try:
        return (
            DisciplineOpinion.objects.visible_to(actor)
            .select_related("meeting", "discipline")
            .get(pk=opinion_id)
        )
    except DisciplineOpinion.DoesNotExist:
        raise NotFound() from None


@system_read("the row of a meeting the caller already read")
def conclusion_of(*, meeting: Meeting) -> Conclusion | None:
    return Conclusion.objects.filter(meeting=meeting).prefetch_related("forecasts").first()


def vote_tally(*, meeting: Meeting) -> dict[str, Any]:
    votes = list(Vote.objects.filter(meeting=meeting).select_related("user").order_by("user__username"))
    counts = dict.fromkeys(Vote.Choice.values, 0)
    for vote in votes:
        counts[vote.choice] += 1
    return {"counts": counts, "votes": votes}


def room_events_after(*, meeting: Meeting, since: int, limit: int = 1000) -> list[RoomEvent]:
    return list(
        RoomEvent.objects.filter(meeting=meeting, seq__gt=since)
        .select_related("actor")
        .order_by("seq")[:limit]
    )


def room_present(*, meeting: Meeting) -> list[User]:
    """The people with a socket open in the meeting's room, by username (one query; the
    fields of ``User.label`` only: every join reads the whole list)."""
    return list(
        User.objects.filter(pk__in=RoomPresence.objects.filter(meeting=meeting).values("user_id"))
        .only("username", "display_name", "first_name", "last_name")
        .order_by("username")
    )


def partner_bureaus(*, actor: Actor) -> QuerySet[Bureau]:
    """Bureaus that may join a joint meeting: the other provincial bureaus."""
    partners = Bureau.objects.filter(is_active=True, kind=Bureau.Kind.PROVINCIAL)
    return partners.exclude(pk=actor.bureau.pk) if actor.bureau else partners


# --- reports -----------------------------------------------------------------------


def report_list(
    *, actor: Actor | None, status: str | None = None, text: str | None = None
) -> QuerySet[ConsultationReport]:
    qs = ConsultationReport.objects.visible_to(actor).select_related("bureau", "meeting", "signed_off_by")
    if status:
        qs = qs.filter(status=status)
    if text:
        qs = qs.filter(Q(title__icontains=text) | Q(meeting__title__icontains=text))
    return qs


def report_search(
    *,
    actor: Actor | None,
    month: dt.date | None = None,
    month_of_year: int | None = None,
    bureau: str = "",
    status: str = "",
    text: str = "",
) -> QuerySet[ConsultationReport]:
    """Reports ``actor`` may read for the report list across kinds, newest first: of the
    month (Beijing time) or the month of the year of their meeting, of a bureau (code), in a
    state, with ``text`` in the title."""
    from portal.timefmt import BEIJING

    qs = report_list(actor=actor, status=status or None, text=text or None)
    if month is not None:
        start = dt.datetime.combine(month.replace(day=1), dt.time.min, tzinfo=BEIJING)
        end = (start + dt.timedelta(days=32)).replace(day=1)
        qs = qs.filter(meeting__starts_at__gte=start, meeting__starts_at__lt=end)
    if month_of_year is not None:
        qs = qs.filter(meeting__starts_at__month=month_of_year)
    if bureau:
        qs = qs.filter(bureau__code=bureau)
    return qs.order_by("-updated_at", "-id")


def report_get(*, actor: Actor | None, report_id: int) -> ConsultationReport:
    try:
        return report_list(actor=actor).get(pk=report_id)
    except (ConsultationReport.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def reports_of_meeting(*, actor: Actor | None, meeting: Meeting) -> QuerySet[ConsultationReport]:
    return report_list(actor=actor).filter(meeting=meeting).order_by("version")


def reports_awaiting_sign_off(*, actor: Actor) -> QuerySet[ConsultationReport]:
    return (
        ConsultationReport.objects.editable_by(actor)
        .filter(status__in=[ReportStatus.SUBMITTED, ReportStatus.REVIEWED])
        .select_related("meeting")
        .order_by("submitted_at")
    )


def reports_in_hand(*, actor: Actor, limit: int = 60) -> QuerySet[ConsultationReport]:
    """Reports of the actor's bureau that wait for someone (oldest first): submitted,
    reviewed and signed-off ones, and those returned to the actor. Who of the bureau may
    take the next step is the workflow's to say (``report_workflow.allowed_actions``)."""
    return (
        ConsultationReport.objects.visible_to(actor)
        .filter(bureau_id=actor.bureau_id)
        .filter(
            Q(status__in=[ReportStatus.SUBMITTED, ReportStatus.REVIEWED, ReportStatus.SIGNED_OFF])
            | Q(status=ReportStatus.RETURNED, submitted_by=actor.user)
        )
        .select_related("meeting")
        .order_by("updated_at", "id")[:limit]
    )


def report_drafts(*, actor: Actor) -> QuerySet[ConsultationReport]:
    return (
        ConsultationReport.objects.editable_by(actor)
        .filter(status__in=[ReportStatus.DRAFT, ReportStatus.RETURNED])
        .select_related("meeting")
    )


def reports_issued_latest(*, actor: Actor) -> QuerySet[ConsultationReport]:
    return (
        report_list(actor=actor)
        .filter(status__in=[ReportStatus.ISSUED, ReportStatus.ARCHIVED])
        .order_by("-issued_at")
    )


def meeting_audit(*, meeting: Meeting) -> QuerySet[Any]:
    """What was done to the meeting itself (scheduled, changed, opened, closed), newest first."""
    from portal.models import AuditEvent

    return AuditEvent.objects.filter(
        target_type=meeting._meta.label_lower, target_id=str(meeting.pk)
    ).select_related("actor")


def report_audit(*, report: ConsultationReport) -> QuerySet[Any]:
    from portal.models import AuditEvent

    return AuditEvent.objects.filter(
        target_type=report._meta.label_lower, target_id=str(report.pk)
    ).select_related("actor")


# --- forecasts ---------------------------------------------------------------------


def forecasts_for_scoring(*, actor: Actor | None, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """Forecasts of conclusions whose window overlaps [start, end], for forecast scoring.

    Only conclusions of reports the actor may read that were signed off or later count:
    a draft is not a forecast anyone made. Each row: window_start, window_end, region
    (GeoJSON MultiPolygon dict), min_magnitude, max_magnitude, likelihood, bureau
    (code) and meeting_id.
    """
    frozen = ConsultationReport.objects.visible_to(actor).filter(status__in=ConsultationReport.FROZEN)
    qs = (
        Forecast.objects.visible_to(actor)
        .filter(
            conclusion__meeting_id__in=frozen.values("meeting_id"),
            window_start__lte=end,
            window_end__gte=start,
        )
        .select_related("bureau", "conclusion")
        .order_by("window_start", "id")
    )
    return [
        {
            "window_start": f.window_start,
            "window_end": f.window_end,
            "region": json.loads(f.region.geojson),
            "min_magnitude": float(f.min_magnitude),
            "max_magnitude": float(f.max_magnitude) if f.max_magnitude is not None else None,
            "likelihood": f.likelihood,
            "bureau": f.bureau.code,
            "meeting_id": f.conclusion.meeting_id,
        }
        for f in qs
    ]


# --- emergency ---------------------------------------------------------------------


def event_outcomes(actor: Actor | None, event: Event) -> list[Outcome]:
    """The event page's list of what was made of the event: the meetings on it the actor may read."""
    meetings = Meeting.objects.visible_to(actor).filter(trigger_event_id=event.pk).order_by("bureau__code")
    return [
        Outcome(kind=str(MeetingKind(m.kind).label), title=m.title, url=m.get_absolute_url())
        for m in meetings
    ]


@system_read("the bureau's own settings, for the system and the settings page")
def emergency_settings_for(*, bureau: Bureau) -> EmergencySettings | None:
    return EmergencySettings.objects.filter(bureau=bureau).prefetch_related("on_duty").first()


def people_by_username(*, usernames: list[str], field: str) -> list[User]:
    """Users named in a request; InvalidInput naming the first unknown one."""
    from portal.exceptions import InvalidInput

    found = {u.username: u for u in User.objects.filter(username__in=usernames, is_active=True)}
    for name in usernames:
        if name not in found:
            raise InvalidInput(_("Unknown person %(name)s.") % {"name": name}, field=field)
    return [found[name] for name in usernames]


def bureaus_by_code(*, codes: list[str], field: str) -> list[Bureau]:
    from portal.exceptions import InvalidInput

    found = {b.code: b for b in Bureau.objects.filter(code__in=[c.upper() for c in codes], is_active=True)}
    for code in codes:
        if code.upper() not in found:
            raise InvalidInput(_("Unknown bureau %(code)s.") % {"code": code}, field=field)
    return [found[code.upper()] for code in codes]


def citable_anomalies(*, actor: Actor | None, discipline: str, limit: int = 40) -> list[dict[str, str]]:
    """Open anomalies of the discipline the actor may read, as {id, title, url} to cite."""
    from django.urls import NoReverseMatch, reverse

    rows = []
    for anomaly in anomaly_list(actor=actor, discipline=discipline, open_only=True)[:limit]:
        try:
            url = reverse("disciplines:anomaly-detail", args=[anomaly.pk])
        except NoReverseMatch:
            url = ""
        station = getattr(anomaly, "station", "") or ""
        rows.append({"id": str(anomaly.pk), "title": f"{station} {anomaly}".strip(), "url": url})
    return rows
