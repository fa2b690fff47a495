"""Celery tasks of the catalog."""

from __future__ import annotations

from celery import shared_task

from .import_services import event_import_run


@shared_task(name="catalog.event_import", time_limit=3 * 3600, soft_time_limit=3 * 3600 - 60)
def event_import_task(*, bureau_id: int, import_id: int) -> str | None:
    """Run one queued catalog import; a finished one is left alone (idempotent)."""
    record = event_import_run(import_id=import_id)
    if record is None or record.bureau_id != bureau_id:
        return None
    return record.status
