"""Celery tasks of post-quake cases: each takes ids, calls one service, is idempotent."""

from __future__ import annotations

import datetime as dt
from typing import Any

from celery import shared_task
from django.db import InterfaceError, OperationalError

from portal.jobs import run_guarded

from .services import case_open, case_remind, draft_build, draft_job, reevaluate_sweep, reminders_sweep
from .services import pushes as push_services

TRANSIENT = (OperationalError, InterfaceError)
MAX_RETRIES = 5
RETRY = {
    "autoretry_for": TRANSIENT,
    "retry_backoff": 5,
    "retry_kwargs": {"max_retries": MAX_RETRIES},
}


@shared_task(name="postquake.open_case", time_limit=60, soft_time_limit=50, **RETRY)
def open_case_task(*, event_id: int, bureau_id: int) -> int | None:
    """catalog.arrival, action ``post_quake_case``: open the bureau's case on the quake."""
    case = case_open(event_id=event_id, bureau_id=bureau_id)
    return case.pk if case is not None else None


@shared_task(
    bind=True,
    name=draft_job.JOB_NAME,
    time_limit=draft_job.DRAFT_TIME_LIMIT,
    soft_time_limit=draft_job.DRAFT_TIME_LIMIT - 20,
    **RETRY,
)
def draft_case_task(self, *, case_id: int) -> int | None:  # type: ignore[no-untyped-def]
    """The first draft; within the 5 minutes the issue allows. A background job
    (``postquake.services.draft_job``): transient database errors are retried, and what still
    fails after the last retry, or fails otherwise, ends the draft failed with a message."""
    retries_left = self.request.retries < MAX_RETRIES
    case = run_guarded(
        draft_job.JOB_NAME,
        case_id,
        lambda: draft_build(case_id=case_id),
        reraise=TRANSIENT if retries_left else (),
    )
    return case.pk if case is not None else None


@shared_task(name="postquake.reevaluate_sweep", time_limit=300, soft_time_limit=280, **RETRY)
def reevaluate_sweep_task(now: str | None = None) -> dict[str, list[str]]:
    """The beat job (every minute, migration 0003): re-evaluate the cases whose times came or
    whose zone had a new aftershock at or above the threshold. ``now``: an ISO time, for
    catching up by hand."""
    at = dt.datetime.fromisoformat(now) if now else None
    return {str(k): v for k, v in reevaluate_sweep(now=at).items()}


@shared_task(name="postquake.reevaluate_bureau", time_limit=300, soft_time_limit=280, **RETRY)
def reevaluate_bureau_task(*, event_id: int, bureau_id: int) -> dict[str, list[str]]:
    """A quake concerned the bureau (``catalog.arrival`` listener): re-evaluate its cases now
    rather than at the next beat run (the same sweep, so a trigger still fires once)."""
    return {str(k): v for k, v in reevaluate_sweep(bureau_id=bureau_id).items()}


@shared_task(
    name="postquake.opinion_push_send",
    bind=True,
    time_limit=push_services.PUSH_TIME_LIMIT,
    soft_time_limit=push_services.PUSH_SOFT_TIME_LIMIT,
    max_retries=None,
)
def opinion_push_send_task(self: Any, *, bureau_id: int, push_id: int) -> str | None:
    """Push an issued opinion over one channel; on error Celery retries it after the backoff
    the service computed, until the push's attempts are spent (then it is failed, and told)."""

    def send() -> str | None:
        while True:
            push, delay = push_services.opinion_push_send(push_id=push_id)
            if push is None:
                return None
            if delay is None:
                return str(push.status)
            if not self.request.is_eager:
                raise self.retry(countdown=delay)
            # Eager (tests, scripts): no broker to wait on, so the next try runs at once.

    return run_guarded("postquake.opinion_push_send", push_id, send)


@shared_task(name="postquake.announce_opinion", time_limit=120, soft_time_limit=100, **RETRY)
def announce_opinion_task(*, opinion_id: int) -> int:
    """An issued opinion: its subscribers hear of it (idempotent: one notice per number)."""
    from .services.announce import opinion_announce

    return len(opinion_announce(opinion_id=opinion_id))


@shared_task(name="postquake.remind_case", time_limit=60, soft_time_limit=50, **RETRY)
def remind_case_task(*, case_id: int) -> str | None:
    """Scheduled with an ETA when the case opens: the reminder or the deadline notice, once."""
    return case_remind(case_id=case_id)


@shared_task(name="postquake.reminders_sweep", time_limit=55, soft_time_limit=50)
def reminders_sweep_task() -> dict[str, int]:
    """Every minute (beat): the reminders of every open case that the ETA tasks missed."""
    return reminders_sweep()
