"""Celery tasks of the reports app: queue a bureau's special-topic report of an arrived
event, build it, push it over one channel.

Build and push are guarded (portal.jobs): whatever their service did not handle ends the
job failed.
"""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from portal.jobs import run_guarded

from .services import pushes as push_services
from .services import topic_build as topic_build_services
from .services import topic_reports as topic_report_services


@shared_task(
    name="reports.topic_report_for_event",
    time_limit=60,
    soft_time_limit=50,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_kwargs={"max_retries": 5},
)
def topic_report_for_event_task(*, event_id: int, bureau_id: int) -> int | None:
    """The reaction to an arrival (catalog.arrival, action ``topic_report``): queue the
    bureau's report of the event's current version, then its build. Idempotent."""
    report = topic_report_services.topic_report_for_event(event_id=event_id, bureau_id=bureau_id)
    return report.pk if report is not None else None


@shared_task(
    name="reports.topic_report_build",
    time_limit=topic_report_services.BUILD_TIME_LIMIT,
    soft_time_limit=topic_report_services.BUILD_SOFT_TIME_LIMIT,
    acks_late=True,
)
def topic_report_build_task(*, bureau_id: int, report_id: int) -> str | None:
    """Build one queued report (idempotent: a report no longer queued is left alone)."""
    report = run_guarded(
        "reports.topic_report_build",
        report_id,
        lambda: topic_build_services.topic_report_build(report_id=report_id),
    )
    return report.status if report is not None else None


@shared_task(
    name="reports.push_send",
    bind=True,
    time_limit=push_services.PUSH_TIME_LIMIT,
    soft_time_limit=push_services.PUSH_SOFT_TIME_LIMIT,
    max_retries=None,
)
def push_send_task(self, *, bureau_id: int, attempt_id: int) -> str | None:  # type: ignore[no-untyped-def]
    """Deliver a ready report over one channel; on error Celery retries it with the backoff
    the service computed, until the attempt's max_attempts are spent (then it is failed)."""

    def send() -> str | None:
        while True:
            attempt, delay = push_services.push_send(attempt_id=attempt_id)
            if attempt is None:
                return None
            if delay is None:
                return str(attempt.status)
            if not self.request.is_eager:
                raise self.retry(countdown=delay)
            # Eager (tests, scripts): no broker to wait on, so the next attempt runs at once.

    return run_guarded("reports.push_send", attempt_id, send)
