"""Celery tasks of the observations app."""

from __future__ import annotations

from celery import shared_task

from portal.jobs import run_guarded

from .services.series_import import SOFT_TIME_LIMIT, TIME_LIMIT, series_import_run


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
