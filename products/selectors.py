"""Reads of the product engine: runs, schedules, the gallery and the input events.

Runs and schedules are bureau data (``PUBLISHED_Q`` is None): people read
their own bureau's, nobody else's (national units included, see models).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser

from portal.exceptions import NotFound
from portal.models import Bureau
from portal.tenancy import Actor, system_read

from .models import ProductRun, ProductSchedule, RunStatus

if TYPE_CHECKING:
    from datetime import datetime

    from django.db.models import QuerySet

    from catalog.models import Event

# Keys of a stored selection that are the engine's, not catalog filters.
ENGINE_KEYS = (
    "jurisdiction",
    "days",
    "sequence",
    "forecasts",
    "region",
    "period_start",
    "period_end",
    "series",
)


def run_list(*, actor: Actor | None) -> QuerySet[ProductRun]:
    return ProductRun.objects.visible_to(actor).select_related("bureau", "schedule", "requested_by")


def run_get(*, actor: Actor | None, run_id: int) -> ProductRun:
    """One run visible to ``actor``; NotFound for missing and not-yours alike."""
    try:
        return run_list(actor=actor).get(pk=run_id)
    except ProductRun.DoesNotExist:
        raise NotFound from None


@system_read("a worker or hook holding an id; no person acts")
def run_get_for_worker(*, bureau_id: int, run_id: int) -> ProductRun | None:
    return ProductRun.objects.select_related("bureau").filter(bureau_id=bureau_id, pk=run_id).first()


@system_read("reuse of a result within the run's bureau")
def run_find_result(*, bureau_id: int, method: str, params_hash: str, input_hash: str) -> ProductRun | None:
    """The computed (not reused) result for this key, if one is stored."""
    return (
        ProductRun.objects.filter(
            bureau_id=bureau_id,
            method=method,
            params_hash=params_hash,
            input_hash=input_hash,
            status=RunStatus.SUCCEEDED,
            reused_from__isnull=True,
        )
        .order_by("id")
        .first()
    )


@system_read("the job watchdog's scan of every bureau")
def runs_stale(*, started_before: datetime, queued_before: datetime) -> QuerySet[ProductRun]:
    """Runs a killed worker left running, or whose queue message was lost."""
    return ProductRun.objects.filter(status=RunStatus.RUNNING, started_at__lt=started_before) | (
        ProductRun.objects.filter(status=RunStatus.QUEUED, queued_at__lt=queued_before)
    )


def runs_failed(*, actor: Actor | None) -> QuerySet[ProductRun]:
    return run_list(actor=actor).filter(status=RunStatus.FAILED)


def schedule_list(*, actor: Actor | None) -> QuerySet[ProductSchedule]:
    return ProductSchedule.objects.visible_to(actor).select_related(
        "bureau", "periodic_task", "periodic_task__crontab", "last_run", "created_by"
    )


def schedule_get(*, actor: Actor | None, schedule_id: int) -> ProductSchedule:
    try:
        return schedule_list(actor=actor).get(pk=schedule_id)
    except ProductSchedule.DoesNotExist:
        raise NotFound from None


@system_read("a worker or hook holding an id; no person acts")
def schedule_get_for_worker(*, bureau_id: int, schedule_id: int) -> ProductSchedule | None:
    return (
        ProductSchedule.objects.select_related("bureau", "created_by", "periodic_task")
        .filter(bureau_id=bureau_id, pk=schedule_id)
        .first()
    )


@system_read("a name check within the bureau")
def schedule_name_taken(*, bureau_id: int, name: str, exclude_id: int | None = None) -> bool:
    qs = ProductSchedule.objects.filter(bureau_id=bureau_id, name=name)
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    return qs.exists()


def gallery(*, actor: Actor | None) -> list[tuple[ProductSchedule, ProductRun | None]]:
    """Each schedule of the actor's bureau with its latest succeeded run (None before the first)."""
    if actor is None or actor.bureau is None:
        return []
    schedules = list(schedule_list(actor=actor).filter(bureau=actor.bureau))
    latest: dict[int, ProductRun] = {}
    runs = (
        run_list(actor=actor)
        .filter(schedule_id__in=[s.pk for s in schedules], status=RunStatus.SUCCEEDED)
        .order_by("schedule_id", "-finished_at", "-id")
        .distinct("schedule_id")
    )
    for run in runs:
        if run.schedule_id is not None:  # the filter above: always one of the schedules
            latest[run.schedule_id] = run
    return [(s, latest.get(s.pk)) for s in schedules]


def worker_actor(*, bureau: Bureau) -> Actor:
    """The reader a run uses for its input: what its bureau reads, whoever asked for it.

    A run never sees more because a system admin started it, and keeps working
    when the person who set up a schedule has left.
    """
    return Actor(user=AnonymousUser(), bureau=bureau, memberships=())  # type: ignore[arg-type]


def mainshock_get(*, bureau: Bureau, public_id: str) -> Event:
    from catalog.selectors import event_get

    return event_get(actor=worker_actor(bureau=bureau), public_id=public_id)


def catalog_filter_check(*, selection: dict[str, Any]) -> None:
    """Validate FDSN-style keys with the catalog's parser; InvalidInput names the key."""
    from catalog.selectors import parse_selection

    parse_selection({k: v for k, v in selection.items() if k not in ENGINE_KEYS})


def selection_events(*, bureau: Bureau, selection: dict[str, Any]) -> QuerySet[Event]:
    """The events of a run's resolved selection, as its bureau reads them."""
    from catalog.selectors import events_for_selection

    qs = events_for_selection(
        actor=worker_actor(bureau=bureau),
        selection={k: v for k, v in selection.items() if k not in ENGINE_KEYS},
    )
    if selection.get("jurisdiction"):
        if bureau.jurisdiction is None:
            return qs.none()
        qs = qs.filter(location__intersects=bureau.jurisdiction)
    return qs


def forecasts_for_scoring(*, bureau: Bureau, start: Any, end: Any) -> list[dict[str, Any]] | None:
    """Stored forecasts from the consultations app (the list of forecasts to score)."""
    from consultations.selectors import forecasts_for_scoring as provider

    return provider(actor=worker_actor(bureau=bureau), start=start, end=end)


def runs_latest(*, actor: Actor | None, limit: int = 5) -> list[ProductRun]:
    if actor is None or actor.bureau is None:
        return []
    return list(run_list(actor=actor).filter(bureau=actor.bureau)[:limit])


def bureau_get_for_worker(*, bureau_id: int) -> Bureau | None:
    return Bureau.objects.filter(pk=bureau_id).first()


def series_channel_options(*, actor: Actor | None) -> list[Any]:
    """The channels the run form offers for a series method: what ``actor`` reads, active,
    by station and item."""
    from observations.selectors import channel_list

    return list(
        channel_list(actor=actor)
        .filter(is_active=True)
        .order_by("station__code", "item__code", "orientation")
    )
