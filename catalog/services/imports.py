"""A person's catalog import (``EventImport``): the upload's checks, its run in a worker
(task ``catalog.event_import``) through ``import_writer``, its progress, its workflow
(``IMPORT_WORKFLOW``) and the watchdog of imports whose worker died.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.formats import FormatError
from catalog.models import EventImport
from portal import uploads
from portal.exceptions import InvalidInput, NotFound, PermissionDenied
from portal.models import Notification
from portal.services import audit_record, broadcast
from portal.workflow import (
    Handoff,
    Workflow,
    job_fail,
    job_steps,
    register,
    register_labels,
    row_lock,
    transition,
)

from .events import (
    events_group,
)
from .import_writer import FORMATS, ImportSummary, import_file
from .quick_reports import can_post_quick_report

if TYPE_CHECKING:
    from portal.tenancy import Actor


logger = logging.getLogger(__name__)


MAX_UPLOAD_BYTES = 512 * 1024 * 1024


# The import task's limits (catalog.tasks); the watchdog gives up on an import after these.
TIME_LIMIT = 3 * 3600


SOFT_TIME_LIMIT = TIME_LIMIT - 60


# A running import writes a heartbeat with its progress after every batch (seconds
# apart); none for this long means its worker is gone, well before the time limit.
HEARTBEAT_GRACE = timedelta(minutes=10)


def import_progress_key(import_id: int) -> str:
    return f"catalog.import.{import_id}"


def guess_format(filename: str) -> str | None:
    name = filename.lower()
    if name.endswith((".xml", ".quakeml", ".qml")):
        return "quakeml"
    if name.endswith((".csv", ".tsv")):
        return "csv"
    if name.endswith((".txt", ".text")):
        return "text"
    return None


def import_file_check(upload: Any) -> uploads.CheckedUpload:
    """A catalog file is CSV, FDSN text or QuakeML by its name and its content (portal.uploads)."""
    return uploads.check_upload(
        upload, allowed=("csv", "txt", "xml"), field="file", max_bytes=MAX_UPLOAD_BYTES
    )


def event_import_create(
    *, actor: Actor | None, upload: Any, file_format: str | None = None, publish: bool = True
) -> EventImport:
    """Store an uploaded file and queue its import (status QUEUED).

    Forecasters and bureau admins of the bureau (and the system admin acting
    in one) may import. Raises PermissionDenied or InvalidInput.
    """
    if not can_post_quick_report(actor):
        raise PermissionDenied(_("Only forecasters and bureau admins can import catalogs."))
    if actor is None or actor.bureau is None:
        raise PermissionDenied
    if upload is None:
        raise InvalidInput(_("Choose a file to import."), field="file")
    if not upload.size:
        raise InvalidInput(_("The file is empty."), field="file")
    if upload.size > MAX_UPLOAD_BYTES:
        raise InvalidInput(_("The file is larger than 512 MB."), field="file")
    checked = import_file_check(upload)
    chosen = (file_format or "").strip().lower() or guess_format(upload.name or "")
    if chosen not in FORMATS:
        raise InvalidInput(_("Say the format: csv, text or quakeml."), field="format")
    from catalog.tasks import event_import_task

    with transaction.atomic():
        record = EventImport(
            bureau=actor.bureau,
            filename=checked.display_name,
            format=chosen,
            publish=publish,
            size_bytes=upload.size,
            created_by=actor.user,
        )
        record.file = uploads.store(checked, kind="imports", bureau_id=actor.bureau.pk)
        record.save()
        audit_record(actor=actor, action="event_import.create", target=record, to_state=record.status)
        transaction.on_commit(
            lambda: event_import_task.delay(bureau_id=record.bureau_id, import_id=record.pk)
        )
    return record


_import_lock = row_lock(EventImport, "bureau", "created_by")


def _import_live(record: EventImport, action: str) -> tuple[str, dict[str, Any]]:
    payload = _final_payload(record)
    return events_group(record.bureau_id), payload


def _outcome(record: EventImport) -> dict[str, Any]:
    """The state and counts of an import, as the live event and the status answer both give them."""
    return {
        "id": record.pk,
        "status": record.status,
        "error": record.error,
        "rows_read": record.rows_read,
        "inserted": record.inserted,
        "updated": record.updated,
        "unchanged": record.unchanged,
        "rejected": record.rejected,
    }


def _final_payload(record: EventImport) -> dict[str, Any]:
    return {"kind": "catalog.import", **_outcome(record), "errors": record.errors[:20]}


def _to_the_uploader(record: EventImport, actor: Actor | None, comment: str) -> list[Handoff]:
    """Tell the person who uploaded the file how it ended (never silent, see portal.jobs)."""
    if record.created_by is None:
        return []
    if record.status == EventImport.Status.DONE:
        title = _("Catalog import finished: %(file)s") % {"file": record.filename}
        body = _("%(inserted)d new, %(updated)d updated, %(rejected)d rejected rows.") % {
            "inserted": record.inserted,
            "updated": record.updated,
            "rejected": record.rejected,
        }
        level = Notification.Level.WARNING if record.rejected else Notification.Level.INFO
    else:
        title = _("Catalog import failed: %(file)s") % {"file": record.filename}
        body = _("%(error)s Nothing from this file was stored.") % {"error": record.error}
        level = Notification.Level.WARNING
    return [Handoff([record.created_by], title=title[:200], body=body, level=level, kind="catalog.import")]


_Import = EventImport.Status


# An import is the worker's from the upload on: every move is the system's (actor None).
IMPORT_WORKFLOW = register(
    Workflow(
        name="event_import",
        model=EventImport,
        state_field="status",
        noun=gettext_lazy("catalog import"),
        lock=_import_lock,
        url=lambda record: reverse("catalog:import-list"),
        live=_import_live,
        # restart: the worker died mid-file and the task runs it again (its transaction never
        # committed, so nothing of it is stored)
        transitions=job_steps(
            queued=_Import.QUEUED,
            running=_Import.RUNNING,
            done=_Import.DONE,
            failed=_Import.FAILED,
            labels=(
                gettext_lazy("import started"),
                gettext_lazy("import finished"),
                gettext_lazy("import failed"),
            ),
            notify=_to_the_uploader,
            restart=True,
        ),
    )
)


register_labels({"event_import.create": gettext_lazy("file uploaded")})


def _push_progress(record: EventImport, summary: ImportSummary, status: str) -> None:
    payload = {"kind": "catalog.import", "id": record.pk, "status": status, **summary.as_dict()}
    # In the cache, not the row: the row's update would wait for the import's transaction.
    payload["heartbeat"] = time.time()
    payload["errors"] = summary.errors[:20]
    cache.set(import_progress_key(record.pk), payload, 24 * 3600)
    # Sent now, not on commit: the rows are still in the open transaction.
    broadcast(events_group(record.bureau_id), payload)


def event_import_run(*, import_id: int) -> EventImport | None:
    """QUEUED -> RUNNING -> DONE | FAILED. Idempotent: a finished import is left alone.

    A RUNNING import found again (a worker died mid-file) is run again: its
    transaction never committed, so nothing of it is stored.
    """
    with transaction.atomic():
        try:
            record = _import_lock(None, import_id)
        except NotFound:
            return None
        if record.status not in IMPORT_WORKFLOW.transitions["start"].sources:
            return record
        record = transition(record, "start", None, workflow=IMPORT_WORKFLOW, started_at=timezone.now())
    _push_progress(record, ImportSummary(), record.status)
    try:
        with record.file.open("rb") as handle, transaction.atomic():
            summary = import_file(
                bureau=record.bureau,
                fileobj=handle,
                file_format=record.format,
                size=record.size_bytes,
                publish=record.publish,
                user=record.created_by,
                progress=lambda s: _push_progress(record, s, EventImport.Status.RUNNING),
            )
            record = _finish(record, EventImport.Status.DONE, summary=summary)
    except _Abandoned:
        pass  # the watchdog already failed it and told the person; the rollback stored nothing
    except FormatError as problem:
        where = _("line %(line)s: ") % {"line": problem.line} if problem.line else ""
        record = _finish(record, EventImport.Status.FAILED, error=f"{where}{problem.message}")
    except (OSError, InvalidInput) as problem:
        record = _finish(record, EventImport.Status.FAILED, error=str(problem))
    except Exception as exc:  # whatever else broke, the import ends failed and the uploader is told
        from portal.jobs import internal_error_message

        logger.exception("catalog import %s failed", record.pk)
        record = _finish(record, EventImport.Status.FAILED, error=internal_error_message(exc))
    return record


class _Abandoned(Exception):
    """The import's row is no longer running (the watchdog gave up on it): roll back."""


def _finish(
    record: EventImport, status: str, *, summary: ImportSummary | None = None, error: str = ""
) -> EventImport:
    """running -> done or failed with the summary; the uploader is told (the workflow's hand-off)."""
    with transaction.atomic():
        # Locked and re-read: the watchdog may have failed an import it thought dead.
        current = _import_lock(None, record)
        if current.status != EventImport.Status.RUNNING:
            if status == EventImport.Status.DONE:
                raise _Abandoned
            return current
        summary = summary or ImportSummary()
        record = transition(
            current,
            "finish" if status == EventImport.Status.DONE else "fail",
            None,
            error,
            workflow=IMPORT_WORKFLOW,
            extra={k: v for k, v in summary.as_dict().items() if k != "errors"},
            finished_at=timezone.now(),
            error=error,
            rows_read=summary.rows_read,
            inserted=summary.inserted,
            updated=summary.updated,
            unchanged=summary.unchanged,
            rejected=summary.rejected,
            errors=summary.errors,
        )
    # The live figures end with the final ones (the page reads the cache while it runs).
    cache.set(import_progress_key(record.pk), _final_payload(record), 24 * 3600)
    return record


def event_import_fail(*, import_id: int, message: str) -> EventImport | None:
    """QUEUED/RUNNING -> FAILED with ``message``; the uploader is told. A finished import is
    left alone. The last resort of the task guard and the watchdog (portal.jobs)."""
    return job_fail(IMPORT_WORKFLOW, import_id, message, finished_at=timezone.now(), error=message, errors=[])


def _heartbeat(record: EventImport) -> float | None:
    payload = cache.get(import_progress_key(record.pk))
    return payload.get("heartbeat") if isinstance(payload, dict) else None


def event_imports_fail_abandoned(now: datetime | None = None) -> list[int]:
    """Fail the imports no worker is on any more, telling each uploader; returns their ids.

    Running: no heartbeat for ``HEARTBEAT_GRACE`` (the worker died mid-file), or past the
    task's time limit. Queued: no worker took it within the time limit (its message was
    lost). Not requeued: the file's transaction never committed, so nothing is stored, and
    the person decides whether to upload it again.
    """
    from catalog.selectors import event_imports_unfinished
    from portal.jobs import MARGIN

    now = now or timezone.now()
    limit = timedelta(seconds=TIME_LIMIT) + MARGIN
    failed: list[int] = []
    candidates = event_imports_unfinished(started_before=now - HEARTBEAT_GRACE, queued_before=now - limit)
    for record in candidates:
        if record.status == EventImport.Status.RUNNING:
            beat = _heartbeat(record)
            timed_out = record.started_at is not None and record.started_at < now - limit
            if beat is not None and beat >= (now - HEARTBEAT_GRACE).timestamp() and not timed_out:
                continue
            message = _(
                "The import stopped: its worker ended without finishing the file "
                "(after %(rows)s rows). Upload the file again."
            ) % {"rows": (cache.get(import_progress_key(record.pk)) or {}).get("rows_read", 0)}
        else:
            message = _("No worker took the import within %(hours)d hours. Upload the file again.") % {
                "hours": limit.total_seconds() // 3600
            }
        ended = event_import_fail(import_id=record.pk, message=message)
        if ended is not None and ended.status == EventImport.Status.FAILED:
            failed.append(record.pk)
    return failed


def import_progress(record: EventImport) -> dict[str, Any]:
    """Status, progress and counts of an import (live figures while it runs)."""
    live = cache.get(import_progress_key(record.pk)) if record.status == EventImport.Status.RUNNING else None
    data = {
        **_outcome(record),
        "filename": record.filename,
        "format": record.format,
        "errors": record.errors,
        "progress": 1.0 if record.status in (EventImport.Status.DONE, EventImport.Status.FAILED) else 0.0,
        "created_at": record.created_at.isoformat(),
        "finished_at": record.finished_at.isoformat() if record.finished_at else None,
    }
    if live:
        for key in ("rows_read", "inserted", "updated", "unchanged", "rejected", "progress"):
            data[key] = live.get(key, data[key])
        data["errors"] = live.get("errors", [])
    return data
