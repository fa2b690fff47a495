"""Celery tasks of post-quake cases: each takes ids, calls one service, is idempotent."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .services import case_open, case_remind, draft_build, reminders_sweep

RETRY = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 5,
    "retry_kwargs": {"max_retries": 5},
}


@shared_task(name="postquake.open_case", time_limit=60, soft_time_limit=50, **RETRY)
def open_case_task(*, event_id: int, bureau_id: int) -> int | None:
    """catalog.arrival, action ``post_quake_case``: open the bureau's case on the quake."""
    case = case_open(event_id=event_id, bureau_id=bureau_id)
    return case.pk if case is not None else None


@shared_task(name="postquake.draft_case", time_limit=300, soft_time_limit=280, **RETRY)
def draft_case_task(*, case_id: int) -> int | None:
    """The first draft; within the 5 minutes the issue allows."""
    case = draft_build(case_id=case_id)
    return case.pk if case is not None else None


@shared_task(name="postquake.remind_case", time_limit=60, soft_time_limit=50, **RETRY)
def remind_case_task(*, case_id: int) -> str | None:
    """Scheduled with an ETA when the case opens: the reminder or the deadline notice, once."""
    return case_remind(case_id=case_id)


@shared_task(name="postquake.reminders_sweep", time_limit=55, soft_time_limit=50)
def reminders_sweep_task() -> dict[str, int]:
    """Every minute (beat): the reminders of every open case that the ETA tasks missed."""
    return reminders_sweep()
