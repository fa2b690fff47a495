"""Reads of post-quake cases and of what their first draft needs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models.functions import Coalesce

from catalog.models import Event, EventStatus, QuickReportMessage
from catalog.selectors import event_list, within_km
from consultations.selectors import emergency_settings_for
from portal.exceptions import NotFound
from portal.models import Role, User
from portal.selectors import bureau_role_holders
from portal.tenancy import bureau_reader, system_read

from .models import (
    CaseState,
    DraftStatus,
    OpinionPush,
    OpinionState,
    PostQuakeCase,
    PostQuakeOpinion,
    PostQuakeReevaluation,
    PostQuakeSettings,
)

if TYPE_CHECKING:
    import datetime as dt

    from django.db.models import QuerySet

    from portal.models import Bureau, User
    from portal.tenancy import Actor

#: Opinion numbers are small integers: a larger number in a path is no opinion (and is never
#: sent to the database, whose smallint column would refuse it).
OPINION_NUMBER_MAX = 32767


def case_list(
    *, actor: Actor | None, state: str | None = None, bureau: str | None = None
) -> QuerySet[PostQuakeCase]:
    """The cases ``actor`` reads (their bureau's), newest first; ``bureau`` narrows them to
    one bureau's by code (an unknown code or one not read: nothing)."""
    cases = PostQuakeCase.objects.visible_to(actor).select_related("event", "bureau")
    if state:
        cases = cases.filter(state=state)
    if bureau:
        cases = cases.filter(bureau__code=bureau)
    return cases.order_by("-opened_at", "-id")


def cases_on_the_clock(*, actor: Actor, since: dt.datetime) -> QuerySet[PostQuakeCase]:
    """The actor's own bureau's open cases (soonest deadline first), then those whose first
    opinion was issued since ``since`` (latest first): what the dashboard shows."""
    from django.db.models import F, Q

    if actor.bureau is None:
        return PostQuakeCase.objects.none()
    return (
        case_list(actor=actor)
        .filter(bureau=actor.bureau)
        .filter(Q(state=CaseState.OPEN) | Q(issued_at__gte=since))
        .order_by(F("issued_at").desc(nulls_first=True), "due_at", "-id")
    )


def cases_of_month(*, actor: Actor | None, start: dt.datetime, end: dt.datetime) -> QuerySet[PostQuakeCase]:
    """The cases ``actor`` reads whose clock started in [start, end), in clock order."""
    return (
        case_list(actor=actor)
        .filter(clock_start__gte=start, clock_start__lt=end)
        .order_by("clock_start", "id")
    )


def case_get(*, actor: Actor | None, case_id: int) -> PostQuakeCase:
    """One case; NotFound for a missing case and another bureau's alike."""
    case = case_list(actor=actor).filter(pk=case_id).first()
    if case is None:
        raise NotFound()
    return case


@system_read("the worker drafting a case holds its id")
def case_get_for_worker(*, case_id: int) -> PostQuakeCase | None:
    return PostQuakeCase.objects.select_related("event", "bureau").filter(pk=case_id).first()


@system_read("the reminders' beat job finds every bureau's open cases whose reminders may be due")
def cases_to_remind_for_worker(*, now: dt.datetime, since: dt.datetime) -> list[int]:
    """Ids of open cases with no opinion whose clock has started and whose deadline notice is
    not sent, deadline after ``since`` (older ones are left alone); the service decides."""
    return list(
        PostQuakeCase.objects.filter(
            state=CaseState.OPEN,
            issued_at__isnull=True,
            deadline_passed_at__isnull=True,
            clock_start__lte=now,
            due_at__gte=since,
        )
        .order_by("due_at", "id")
        .values_list("id", flat=True)
    )


def duty_team(*, bureau: Bureau) -> list[User]:
    """Who is reminded of an open case: the bureau's people on duty (its emergency settings)
    and its chairs; its forecasters when it has neither. Active people only, once each."""
    setting = emergency_settings_for(bureau=bureau)
    people: dict[int, User] = {}
    if setting is not None:
        for person in setting.on_duty.filter(is_active=True).order_by("username"):
            people[person.pk] = person
    for person in bureau_role_holders(bureau=bureau, roles=[Role.CHAIR]):
        people.setdefault(person.pk, person)
    if not people:
        for person in bureau_role_holders(bureau=bureau, roles=[Role.FORECASTER]):
            people[person.pk] = person
    return list(people.values())


def bureau_admins(*, bureau: Bureau) -> list[User]:
    """The bureau's admins (told when a case's deadline passes with no opinion)."""
    return list(bureau_role_holders(bureau=bureau, roles=[Role.BUREAU_ADMIN]))


@system_read("the job watchdog looks for drafts no worker finished, in every bureau")
def drafts_pending_for_worker(*, asked_before: dt.datetime) -> list[int]:
    """Ids of the cases whose draft is still pending though it was asked for (or the case
    opened, when it was never asked for again) before ``asked_before``."""
    return list(
        PostQuakeCase.objects.filter(draft_status=DraftStatus.PENDING)
        .annotate(asked_at=Coalesce("draft_requested_at", "opened_at"))
        .filter(asked_at__lt=asked_before)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@system_read("the reaction to an arrival looks for the bureau's case on the event")
def case_find(*, bureau_id: int, event_id: int) -> PostQuakeCase | None:
    return PostQuakeCase.objects.filter(bureau_id=bureau_id, event_id=event_id).first()


@system_read("the bureau's own settings, read by its reaction and its draft")
def settings_for(*, bureau: Bureau) -> PostQuakeSettings:
    """The bureau's saved settings, else the defaults (unsaved)."""
    return PostQuakeSettings.objects.filter(bureau=bureau).first() or PostQuakeSettings(bureau=bureau)


@system_read("the reaction reads when the event's first quick report was received")
def first_receipt(*, event: Event) -> dt.datetime | None:
    """When the event's first quick report was received (None: it came another way)."""
    return (
        QuickReportMessage.objects.filter(event_id=event.pk)
        .order_by("received_at")
        .values_list("received_at", flat=True)
        .first()
    )


def events_read_by(bureau: Bureau) -> QuerySet[Event]:
    """Events the bureau reads (tenancy decides: published, or its own), deleted ones left out."""
    return event_list(actor=bureau_reader(bureau)).exclude(status=EventStatus.DELETED)


def events_around(
    *, bureau: Bureau, event: Event, radius_km: float, since: dt.datetime | None = None
) -> QuerySet[Event]:
    """Events the bureau reads within ``radius_km`` of ``event``'s epicentre."""
    qs = within_km(events_read_by(bureau), lon=event.longitude, lat=event.latitude, radius_km=radius_km)
    if since is not None:
        qs = qs.filter(origin_time__gte=since)
    return qs.filter(magnitude__isnull=False).order_by("origin_time", "id")


def aftershocks_triggering(*, case: PostQuakeCase, magnitude: float, now: dt.datetime) -> QuerySet[Event]:
    """The aftershocks of the case's quake that trigger a re-evaluation: events the bureau
    reads inside the sequence zone (``science.zone_radius_km`` of the mainshock, the draft's
    rule), after the mainshock and by ``now``, of magnitude ``magnitude`` or more."""
    from .science import zone_radius_km

    event = case.event
    return (
        events_around(
            bureau=case.bureau,
            event=event,
            radius_km=zone_radius_km(float(event.magnitude or 0.0)),
            since=event.origin_time,
        )
        .filter(origin_time__gt=event.origin_time, origin_time__lte=now, magnitude__gte=magnitude - 1e-9)
        .exclude(pk=event.pk)
    )


@system_read("the draft links the bureau's special-topic report on the event")
def topic_report_for(*, bureau: Bureau, event: Event) -> object | None:
    from reports.models import TopicReport

    return TopicReport.objects.filter(bureau=bureau, event=event).order_by("-id").first()


# --- opinions ------------------------------------------------------------------------------


def opinion_list(*, actor: Actor | None, case: PostQuakeCase) -> QuerySet[PostQuakeOpinion]:
    """The case's opinions ``actor`` reads, first to last."""
    return (
        PostQuakeOpinion.objects.visible_to(actor)
        .filter(case=case)
        .select_related("author", "submitted_by", "signer", "issued_by")
        .order_by("number")
    )


def opinion_get(*, actor: Actor | None, case_id: int, number: int) -> PostQuakeOpinion:
    """Opinion ``number`` of case ``case_id``; NotFound for a missing one and another bureau's."""
    case = case_get(actor=actor, case_id=case_id)
    if not 0 < number <= OPINION_NUMBER_MAX:
        raise NotFound()
    opinion = opinion_list(actor=actor, case=case).filter(number=number).first()
    if opinion is None:
        raise NotFound()
    opinion.case = case
    return opinion


def opinions_in_hand(*, actor: Actor, states: list[str]) -> QuerySet[PostQuakeOpinion]:
    """The actor's bureau's opinions in ``states`` on cases not closed (what waits for them)."""
    return (
        PostQuakeOpinion.objects.visible_to(actor)
        .filter(bureau_id=actor.bureau_id, state__in=states)
        .exclude(case__state=CaseState.CLOSED)
        .select_related("case", "case__event", "case__bureau")
        .order_by("updated_at")
    )


def reevaluation_list(*, actor: Actor | None, case: PostQuakeCase) -> QuerySet[PostQuakeReevaluation]:
    return PostQuakeReevaluation.objects.visible_to(actor).filter(case=case).order_by("-fired_at", "-id")


def opinion_pushes(*, actor: Actor | None, case: PostQuakeCase) -> QuerySet[OpinionPush]:
    """The pushes of the case's issued opinions."""
    return (
        OpinionPush.objects.visible_to(actor)
        .filter(opinion__case=case)
        .select_related("opinion")
        .order_by("opinion__number", "channel")
    )


def opinion_push_get(*, actor: Actor | None, push_id: int) -> OpinionPush:
    push = (
        OpinionPush.objects.visible_to(actor)
        .select_related("opinion", "opinion__case", "bureau")
        .filter(pk=push_id)
        .first()
    )
    if push is None:
        raise NotFound()
    return push


def settings_get(*, actor: Actor) -> PostQuakeSettings:
    """The actor's bureau's settings to edit: the saved row or an unsaved one with the defaults."""
    if actor.bureau is None:
        raise NotFound()
    return PostQuakeSettings.objects.editable_by(actor).filter(
        bureau=actor.bureau
    ).first() or PostQuakeSettings(bureau=actor.bureau)


# --- the system's reads (workers, the beat sweep, the watchdog) ------------------------------


@system_read("the re-evaluation sweep looks at every bureau's cases that are not closed")
def cases_to_reevaluate_for_worker(*, bureau_id: int | None = None) -> QuerySet[PostQuakeCase]:
    cases = PostQuakeCase.objects.exclude(state=CaseState.CLOSED).select_related("event", "bureau")
    if bureau_id is not None:
        cases = cases.filter(bureau_id=bureau_id)
    return cases.order_by("id")


@system_read("a case's first draft whose task was lost is redone by the sweep")
def cases_without_draft_for_worker(*, before: dt.datetime) -> QuerySet[PostQuakeCase]:
    return PostQuakeCase.objects.filter(draft_status=DraftStatus.PENDING, opened_at__lt=before).exclude(
        state=CaseState.CLOSED
    )


@system_read("the worker pushing an opinion holds its id")
def opinion_get_for_worker(*, opinion_id: int) -> PostQuakeOpinion | None:
    return (
        PostQuakeOpinion.objects.select_related("case", "case__event", "bureau", "issued_by")
        .filter(pk=opinion_id)
        .first()
    )


@system_read("the worker pushing an opinion holds the push's id")
def opinion_push_get_for_worker(*, push_id: int) -> OpinionPush | None:
    return (
        OpinionPush.objects.select_related("opinion", "opinion__case", "opinion__case__event", "bureau")
        .filter(pk=push_id)
        .first()
    )


@system_read("the job watchdog looks for pushes no worker is on any more, in every bureau")
def opinion_pushes_unfinished_for_worker(*, before: dt.datetime) -> QuerySet[OpinionPush]:
    return OpinionPush.objects.filter(
        status__in=[OpinionPush.Status.PENDING, OpinionPush.Status.RETRYING], updated_at__lt=before
    ).select_related("bureau")


@system_read("the opinions under a case the caller already holds")
def opinion_in_progress(*, case: PostQuakeCase) -> PostQuakeOpinion | None:
    """The case's opinion being written or awaiting sign-off (at most one; a constraint)."""
    return (
        PostQuakeOpinion.objects.filter(case=case, state__in=[OpinionState.DRAFT, OpinionState.SUBMITTED])
        .order_by("-number")
        .first()
    )


@system_read("the opinions under a case the caller already holds")
def opinion_last_issued(*, case: PostQuakeCase, before: int | None = None) -> PostQuakeOpinion | None:
    """The case's last issued opinion (before number ``before``, when given)."""
    issued = PostQuakeOpinion.objects.filter(case=case, state=OpinionState.ISSUED)
    if before is not None:
        issued = issued.filter(number__lt=before)
    return issued.order_by("-number").first()


def on_duty(*, bureau: Bureau) -> list[User]:
    """Who is told when a case needs its chair: the bureau's chairs and its duty team
    (``consultations.EmergencySettings.on_duty``)."""
    from consultations.selectors import emergency_settings_for
    from portal.models import Role
    from portal.selectors import bureau_role_holders

    people = {u.pk: u for u in bureau_role_holders(bureau=bureau, roles=[Role.CHAIR])}
    setting = emergency_settings_for(bureau=bureau)
    if setting is not None:
        for person in setting.on_duty.filter(is_active=True):
            people.setdefault(person.pk, person)
    return sorted(people.values(), key=lambda u: u.username)
