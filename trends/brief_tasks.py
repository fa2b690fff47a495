"""Tasks of the briefs: the beat's ``trends.briefs_due`` (every 10 minutes, migration 0002),
one ``trends.brief_compile`` per due brief, its push and its group-bot message.

Imported by ``TrendsConfig.ready()`` (Celery autodiscovers only ``tasks.py``), so every
worker registers them.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from celery import shared_task
from django.conf import settings
from django.utils import translation

from .services import brief_push as push_services
from .services import briefs as brief_services

logger = logging.getLogger(__name__)

COMPILE_RETRIES = 3


@shared_task(name="trends.briefs_due", time_limit=300, soft_time_limit=240)
def briefs_due_task(now: str | None = None) -> list[dict[str, Any]]:
    """Queue a compile task for each brief due and not compiled yet (``now``: ISO time, for
    tests and catching up by hand). A brief queued twice is compiled once (its key is unique)."""
    at = dt.datetime.fromisoformat(now) if now else None
    due = brief_services.briefs_due(now=at)
    for item in due:
        brief_compile_task.delay(**item.as_task_kwargs())
    return [item.as_task_kwargs() for item in due]


@shared_task(
    name="trends.brief_compile",
    bind=True,
    time_limit=600,
    soft_time_limit=540,
    max_retries=COMPILE_RETRIES,
)
def brief_compile_task(
    self: Any, *, bureau_id: int, kind: str, period_end: str, discipline: str | None = None
) -> int | None:
    """Compile one due brief (idempotent). A failure is logged and retried with a growing
    delay; after the last try the bureau's admins are told (and the next beat run tries again)."""
    try:
        with translation.override(settings.LANGUAGE_CODE):
            brief = brief_services.brief_compile_due(
                bureau_id=bureau_id,
                kind=kind,
                period_end=dt.datetime.fromisoformat(period_end),
                discipline=discipline,
            )
    except Exception as exc:  # any failure is logged, retried, and told after the last try
        logger.exception(
            "brief %s of bureau %s ending %s (%s) failed", kind, bureau_id, period_end, discipline
        )
        if self.request.retries < COMPILE_RETRIES:
            raise self.retry(exc=exc, countdown=60 * 2**self.request.retries) from exc
        brief_services.brief_compile_failed(
            bureau_id=bureau_id, kind=kind, period_end=period_end, discipline=discipline, error=exc
        )
        raise
    return brief.pk if brief is not None else None


@shared_task(name="trends.brief_push", time_limit=120, soft_time_limit=100)
def brief_push_task(*, bureau_id: int, brief_id: int) -> bool:
    """Idempotent: a brief is pushed once."""
    return push_services.brief_push(brief_id=brief_id)


@shared_task(
    name="trends.brief_wechat",
    time_limit=60,
    soft_time_limit=50,
    autoretry_for=(Exception,),
    retry_backoff=30,
    max_retries=4,
)
def brief_wechat_task(*, bureau_id: int, brief_id: int) -> bool:
    """The group-bot message; a failed post is retried with growing delays."""
    return push_services.brief_wechat_send(brief_id=brief_id)
