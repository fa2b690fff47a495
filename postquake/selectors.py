"""Reads of post-quake cases and of what their first draft needs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models.functions import Coalesce

from catalog.models import Event, EventStatus, QuickReportMessage
from catalog.selectors import event_list, within_km
from portal.exceptions import NotFound
from portal.tenancy import bureau_reader, system_read

from .models import DraftStatus, PostQuakeCase, PostQuakeSettings

if TYPE_CHECKING:
    import datetime as dt

    from django.db.models import QuerySet

    from portal.models import Bureau
    from portal.tenancy import Actor


def case_list(*, actor: Actor | None, state: str | None = None) -> QuerySet[PostQuakeCase]:
    """The cases ``actor`` reads (their bureau's), newest first."""
    cases = PostQuakeCase.objects.visible_to(actor).select_related("event", "bureau")
    if state:
        cases = cases.filter(state=state)
    return cases.order_by("-opened_at", "-id")


def case_get(*, actor: Actor | None, case_id: int) -> PostQuakeCase:
    """One case; NotFound for a missing case and another bureau's alike."""
    case = case_list(actor=actor).filter(pk=case_id).first()
    if case is None:
        raise NotFound()
    return case


@system_read("the worker drafting a case holds its id")
def case_get_for_worker(*, case_id: int) -> PostQuakeCase | None:
    return PostQuakeCase.objects.select_related("event", "bureau").filter(pk=case_id).first()


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


@system_read("the draft links the bureau's special-topic report on the event")
def topic_report_for(*, bureau: Bureau, event: Event) -> object | None:
    from reports.models import TopicReport

    return TopicReport.objects.filter(bureau=bureau, event=event).order_by("-id").first()
