"""Celery tasks of the catalog."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from portal.jobs import run_guarded

from . import arrival
from .services.imports import SOFT_TIME_LIMIT, TIME_LIMIT, event_import_run


@shared_task(name="catalog.event_import", time_limit=TIME_LIMIT, soft_time_limit=SOFT_TIME_LIMIT)
def event_import_task(*, bureau_id: int, import_id: int) -> str | None:
    """Run one queued catalog import; a finished one is left alone (idempotent).

    Guarded: whatever the service did not handle ends the import failed (portal.jobs).
    """
    record = run_guarded("catalog.event_import", import_id, lambda: event_import_run(import_id=import_id))
    if record is None or record.bureau_id != bureau_id:
        return None
    return record.status


@shared_task(
    name="catalog.event_arrived",
    time_limit=60,
    soft_time_limit=50,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_kwargs={"max_retries": 5},
)
def event_arrived_task(*, event_id: int) -> list[str]:
    """An event arrived: decide once (fresh? which bureaus? which actions?) and enqueue
    each reaction's own task (catalog.arrival). Idempotent: the reactions are."""
    return [f"{job.task}:{job.bureau_id}" for job in arrival.decide(event_id=event_id)]
