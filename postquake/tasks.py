"""Celery tasks of post-quake cases: each takes ids, calls one service, is idempotent."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from portal.jobs import run_guarded

from .services import case_open, draft_build, draft_job

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
