"""Reads of post-quake cases and of what their first draft needs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from catalog.models import Event, EventStatus, QuickReportMessage
from catalog.selectors import event_list, within_km
from consultations.selectors import emergency_settings_for
from portal.exceptions import NotFound
from portal.models import Role, User
from portal.selectors import bureau_role_holders
from portal.tenancy import bureau_reader, system_read

from .models import CaseState, PostQuakeCase, PostQuakeSettings

if TYPE_CHECKING:
    import datetime as dt

    from django.db.models import QuerySet

    from portal.models import Bureau
    from portal.tenancy import Actor


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


@system_read("the draft links the bureau's special-topic report on the event")
def topic_report_for(*, bureau: Bureau, event: Event) -> object | None:
    from reports.models import TopicReport

    return TopicReport.objects.filter(bureau=bureau, event=event).order_by("-id").first()
