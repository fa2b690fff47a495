"""Celery tasks of the observations app."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from portal.jobs import run_guarded

from .services import qc_archive
from .services.qc_run import qc_check_ranges, qc_new_days
from .services.series_import import SOFT_TIME_LIMIT, TIME_LIMIT, series_import_run

QC_SOFT_TIME_LIMIT = 50 * 60  # a national hour of new days takes seconds; a backlog, minutes
QC_TIME_LIMIT = 55 * 60


@shared_task(name="observations.series_import", time_limit=TIME_LIMIT, soft_time_limit=SOFT_TIME_LIMIT)
def series_import_task(*, bureau_id: int, import_id: int) -> str | None:
    """Run one queued series import; a finished one is left alone (idempotent). Guarded:
    whatever the service did not handle ends the import failed (portal.jobs)."""
    record = run_guarded(
        "observations.series_import", import_id, lambda: series_import_run(import_id=import_id)
    )
    if record is None or record.bureau_id != bureau_id:
        return None
    return record.status


@shared_task(name="observations.qc_check_days", time_limit=QC_TIME_LIMIT, soft_time_limit=QC_SOFT_TIME_LIMIT)
def qc_check_days_task(channel_id: int, first: str, last: str) -> str:
    """Check one channel's days ``first``..``last`` (ISO dates), queued when an import
    commits. Ends ``done`` or ``failed`` (logged): a check can be run again at any time, and
    the hourly job picks up what a failed one left."""
    result = qc_check_ranges([(channel_id, dt.date.fromisoformat(first), dt.date.fromisoformat(last))])
    return "failed" if result["failed"] else "done"


@shared_task(name="observations.qc_new_days", time_limit=QC_TIME_LIMIT, soft_time_limit=QC_SOFT_TIME_LIMIT)
def qc_new_days_task() -> dict[str, int]:
    """The hourly beat job "observations: QC of new days": every channel's stored days not
    checked since they changed; a failing channel is logged and the others go on."""
    return qc_new_days()


@shared_task(
    name="observations.qc_archive_generate",
    time_limit=qc_archive.TIME_LIMIT,
    soft_time_limit=qc_archive.SOFT_TIME_LIMIT,
)
def qc_archive_generate_task(*, bureau_id: int, archive_id: int) -> str | None:
    """Generate one queued QC archive; a finished one is left alone (idempotent). Guarded:
    whatever the service did not handle ends the archive failed (portal.jobs)."""
    archive = run_guarded(
        qc_archive.JOB_NAME, archive_id, lambda: qc_archive.qc_archive_run(archive_id=archive_id)
    )
    if archive is None or archive.bureau_id != bureau_id:
        return None
    return archive.status


@shared_task(name="observations.qc_archives_monthly", time_limit=600, soft_time_limit=540)
def qc_archives_monthly_task() -> int:
    """The beat job (2nd of the month, 02:00 Beijing time): last month's archive of every
    active station, each generated as a job of its own."""
    return len(qc_archive.qc_archives_monthly())
