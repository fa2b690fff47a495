"""Importing a series file: parse (observations.importers), map its columns to channels,
check every timestamp against the channels' interval, flag values outside the plausible
range, and write every channel in one transaction (all or nothing per file).

:func:`series_import_file` is the work itself (the command calls it directly);
:class:`~observations.models.SeriesImport` rows carry it through a Celery task
(:func:`series_import_create` → task ``observations.series_import`` → :func:`series_import_run`)
with live progress in the cache, the portal's job guard and watchdog (portal.jobs) and a
workflow (queued → running → done | failed) that tells the uploader how it ended.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from observations.evidence import file_digest
from observations.importers import FormatError, ParsedFile, parse
from observations.models import Channel, SeriesImport, Station
from observations.series_permissions import can_import_into, can_start_series_import
from portal import uploads
from portal.exceptions import InvalidInput, NotFound, PermissionDenied
from portal.models import Notification
from portal.services import audit_record
from portal.tenancy import actor_for
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

from .qc_run import qc_enqueue
from .series_store import Written, series_record, series_write

if TYPE_CHECKING:
    from collections.abc import Callable

    from portal.models import Bureau, User
    from portal.tenancy import Actor

logger = logging.getLogger(__name__)

FORMATS = tuple(SeriesImport.Format.values)
LINES_KEPT = 200  # line numbers kept in the status (the counts are complete)
TIME_LIMIT = 2 * 3600
SOFT_TIME_LIMIT = TIME_LIMIT - 60
HEARTBEAT_GRACE = dt.timedelta(minutes=10)
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def max_upload_bytes() -> int:
    return int(getattr(settings, "SERIES_MAX_UPLOAD_BYTES", 256 * 1024 * 1024))


@dataclass
class ImportSummary:
    samples_stored: int = 0
    samples_rejected: int = 0
    rejected_lines: list[int] = field(default_factory=list)
    flagged: int = 0
    flagged_lines: list[int] = field(default_factory=list)
    channels_touched: list[int] = field(default_factory=list)
    progress: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "samples_stored": self.samples_stored,
            "samples_rejected": self.samples_rejected,
            "rejected_lines": self.rejected_lines,
            "flagged": self.flagged,
            "flagged_lines": self.flagged_lines,
            "channels_touched": self.channels_touched,
            "progress": self.progress,
        }


def _resolve(
    parsed: ParsedFile, *, bureau: Bureau, channel: Channel | None, station: Station | None
) -> list[Channel]:
    """The channel of each column, in ``bureau``; an unknown one fails naming the header line."""
    channels = Channel.objects.filter(bureau=bureau).select_related("station", "item", "discipline")
    resolved: list[Channel] = []
    for column in parsed.columns:
        found: Channel | None = None
        if channel is not None and len(parsed.columns) == 1:
            found = channel
        elif column.channel_id is not None:
            found = channels.filter(pk=column.channel_id).first()
        elif column.item:
            code = station.code if station is not None else column.station
            found = channels.filter(
                station__code__iexact=code,
                item__code__iexact=column.item,
                orientation__iexact=column.orientation,
            ).first()
            if found is None and not column.orientation:
                candidates = list(
                    channels.filter(station__code__iexact=code, item__code__iexact=column.item)[:2]
                )
                found = candidates[0] if len(candidates) == 1 else None
        if found is None:
            raise FormatError(
                _("column %(label)s: no such channel (station, item, orientation) in this bureau")
                % {"label": column.label},
                line=column.line,
            )
        if channel is not None and found.pk != channel.pk:
            raise FormatError(
                _("column %(label)s is not the chosen channel %(id)d")
                % {"label": column.label, "id": channel.pk},
                line=column.line,
            )
        if station is not None and found.station_id != station.pk:
            raise FormatError(
                _("column %(label)s is not a channel of the chosen station %(code)s")
                % {"label": column.label, "code": station.code},
                line=column.line,
            )
        resolved.append(found)
    if len({c.pk for c in resolved}) != len(resolved):
        raise FormatError(_("two columns name the same channel"), line=parsed.columns[0].line)
    return resolved


def series_import_file(
    *,
    bureau: Bureau,
    data: bytes,
    file_format: str,
    actor: Actor | None,
    user: User | None = None,
    channel: Channel | None = None,
    station: Station | None = None,
    source: str = "",
    progress: Callable[[ImportSummary], None] | None = None,
    import_row: SeriesImport | None = None,
) -> ImportSummary:
    """Import one file into ``bureau``'s channels, all or nothing (one transaction).

    ``actor`` None is the system (the command): no permission check. Raises FormatError
    ("line N: …") or PermissionDenied; nothing is stored then.

    Evidence of data: once every channel is stored, the chain records the file (its SHA-256,
    action ``series_file.stored``, on ``import_row`` or else the bureau) and then each
    channel's write with the hash of every channel-day it stored (observations.evidence)."""
    if len(data) > max_upload_bytes():
        raise FormatError(
            _("the file is %(size).1f MB; series files may be at most %(limit).0f MB")
            % {"size": len(data) / 2**20, "limit": max_upload_bytes() / 2**20}
        )
    if not data.strip():
        raise FormatError(_("the file is empty"), line=1)
    summary = ImportSummary()
    received = file_digest(data)

    def parsing(fraction: float) -> None:  # reading the lines is the first half of the work
        summary.progress = int(50 * fraction)
        if progress is not None:
            progress(summary)

    parsed = parse(data, file_format, parsing)
    if parsed.times.size == 0:
        raise FormatError(
            _("the file has no data lines"), line=max(1, len(parsed.columns) and parsed.columns[0].line)
        )
    channels = _resolve(parsed, bureau=bureau, channel=channel, station=station)
    qc_days: dict[int, tuple[dt.date, dt.date]] = {}
    for column, target in zip(parsed.columns, channels, strict=True):
        if actor is not None and not can_import_into(actor, target):
            raise PermissionDenied(
                _("You may not import into channel %(channel)s (column %(label)s).")
                % {"channel": target, "label": column.label}
            )
    writes: list[tuple[Channel, Written]] = []
    with transaction.atomic():
        for index, target in enumerate(channels):
            interval = int(target.interval)
            if parsed.declared_interval and parsed.declared_interval != interval:
                raise FormatError(
                    _(
                        "the file declares a %(file)d s interval; channel %(channel)s is sampled every %(interval)d s"
                    )
                    % {"file": parsed.declared_interval, "channel": target, "interval": interval},
                    line=parsed.declared_line,
                )
            off = np.flatnonzero(parsed.times % interval)
            if off.size:
                raise FormatError(
                    _("timestamp off the %(interval)d s interval of channel %(channel)s")
                    % {"interval": interval, "channel": target},
                    line=int(parsed.lines[off[0]]),
                )
            column_values = parsed.values[:, index]
            slots = (parsed.times - parsed.times[0]) // interval
            values = np.full(int(slots[-1]) + 1, np.nan, dtype=np.float32)
            values[slots] = column_values.astype(np.float32)
            present = ~np.isnan(column_values)
            low = target.plausible_min if target.plausible_min is not None else -np.inf
            high = target.plausible_max if target.plausible_max is not None else np.inf
            outside = present & ((column_values < low) | (column_values > high))
            summary.flagged += int(outside.sum())
            room = LINES_KEPT - len(summary.flagged_lines)
            if room > 0:
                summary.flagged_lines.extend(int(n) for n in parsed.lines[outside][:room])
            start = EPOCH + dt.timedelta(seconds=int(parsed.times[0]))
            written = series_write(
                channel=target,
                start=start,
                values=values,
                actor=actor if actor is not None else user,
                source=source,
                record=False,  # recorded below, all at the end: the chain's lock is held briefly
            )
            writes.append((target, written))
            summary.samples_stored += written.samples
            summary.channels_touched.append(target.pk)
            last = start + dt.timedelta(seconds=interval * (values.size - 1))
            first_day, last_day = qc_days.get(target.pk, (start.date(), last.date()))
            qc_days[target.pk] = (min(first_day, start.date()), max(last_day, last.date()))
            summary.progress = 50 + int(50 * (index + 1) / len(channels))
            if progress is not None:
                progress(summary)
        who = actor if actor is not None else user
        audit_record(
            actor=who,
            action="series_file.stored",
            target=import_row if import_row is not None else bureau,
            bureau=bureau,
            comment=source,
            extra={
                "file_sha256": received,
                "bytes": len(data),
                "format": file_format,
                "channels": [target.pk for target in channels],
                "samples": summary.samples_stored,
            },
        )
        for target, written in writes:
            if written.start is not None:
                series_record(channel=target, written=written, actor=who, source=source, file_sha256=received)
    summary.flagged_lines.sort()
    # quality control of the days touched, once the file is stored (never for a rolled-back one)
    transaction.on_commit(partial(qc_enqueue, qc_days))
    return summary


# --- the job: a SeriesImport row run by a Celery task ---------------------------------------


def import_progress_key(import_id: int) -> str:
    return f"observations.series_import.{import_id}"


def series_import_create(
    *,
    actor: Actor | None,
    upload: Any,
    file_format: str,
    channel_id: int | None = None,
    station_code: str | None = None,
) -> SeriesImport:
    """Store an uploaded file and queue its import. Bureau admins and discipline experts
    may import (each channel the file touches is checked when it runs)."""
    if not can_start_series_import(actor) or actor is None or actor.bureau is None:
        raise PermissionDenied(_("Only bureau admins and discipline experts can import series."))
    if upload is None:
        raise InvalidInput(_("Choose a file to import."), field="file")
    if file_format not in FORMATS:
        raise InvalidInput(
            _("format must be one of %(formats)s.") % {"formats": ", ".join(FORMATS)}, field="format"
        )
    checked = _check(upload)
    channel = station = None
    if channel_id is not None:
        channel = Channel.objects.visible_to(actor).filter(pk=channel_id).first()
        if channel is None:
            raise InvalidInput(_("No such channel."), field="channel")
        if not can_import_into(actor, channel):
            raise PermissionDenied(_("You may not import into this channel."))
    if station_code:
        station = Station.objects.visible_to(actor).filter(code__iexact=station_code).first()
        if station is None:
            raise InvalidInput(_("No such station."), field="station")
    from observations.tasks import series_import_task

    with transaction.atomic():
        record = SeriesImport(
            bureau=actor.bureau,
            filename=checked.display_name,
            format=file_format,
            channel=channel,
            station=station,
            size_bytes=checked.size,
            requested_by=actor.user,
        )
        record.sha256 = _sha256_of(checked.file)
        record.file = uploads.store(checked, kind="series", bureau_id=actor.bureau.pk)
        record.save()
        audit_record(
            actor=actor,
            action="series_import.create",
            target=record,
            to_state=record.status,
            extra={"file_sha256": record.sha256, "bytes": record.size_bytes},
        )
        transaction.on_commit(
            lambda: series_import_task.delay(bureau_id=record.bureau_id, import_id=record.pk)
        )
    return record


def _sha256_of(upload: Any) -> str:
    """The uploaded file's SHA-256 as received (read in chunks; the file is rewound)."""
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in iter(lambda: upload.read(1 << 20), b""):
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def _check(upload: Any) -> uploads.CheckedUpload:
    """A series file is text (IAGA-2002 files are named .min/.sec/.hor/.day, so the name is
    read as text whatever its extension); checked for size, emptiness and content here, for
    NUL bytes and encoding by the reader."""
    shown = uploads.display_name(getattr(upload, "name", ""))
    size = getattr(upload, "size", 0) or 0
    if size > max_upload_bytes():
        raise InvalidInput(
            _("%(name)s is %(size).1f MB; series files may be at most %(limit).0f MB.")
            % {"name": shown, "size": size / 2**20, "limit": max_upload_bytes() / 2**20},
            field="file",
        )
    if size == 0:
        raise InvalidInput(_("%(name)s is empty.") % {"name": shown}, field="file")
    if not uploads.TYPES["txt"].looks_right(upload):
        raise InvalidInput(_("%(name)s is not a text file.") % {"name": shown}, field="file")
    upload.seek(0)
    return uploads.CheckedUpload(file=upload, type=uploads.TYPES["txt"], display_name=shown, size=size)


_lock = row_lock(SeriesImport, "bureau", "requested_by", "channel", "station")
_S = SeriesImport.Status


def _to_the_uploader(record: SeriesImport, actor: Actor | None, comment: str) -> list[Handoff]:
    if record.requested_by is None:
        return []
    if record.status == _S.DONE:
        title = _("Series import finished: %(file)s") % {"file": record.filename}
        body = _("%(stored)d samples stored, %(flagged)d outside the plausible range.") % {
            "stored": record.samples_stored,
            "flagged": record.flagged,
        }
        level = Notification.Level.WARNING if record.flagged else Notification.Level.INFO
    else:
        title = _("Series import failed: %(file)s") % {"file": record.filename}
        body = _("%(error)s Nothing from this file was stored.") % {"error": record.error}
        level = Notification.Level.WARNING
    return [
        Handoff(
            [record.requested_by],
            title=title[:200],
            body=body,
            level=level,
            kind="observations.series_import",
        )
    ]


SERIES_IMPORT_WORKFLOW = register(
    Workflow(
        name="series_import",
        model=SeriesImport,
        state_field="status",
        noun=gettext_lazy("series import"),
        lock=_lock,
        transitions=job_steps(
            queued=_S.QUEUED,
            running=_S.RUNNING,
            done=_S.DONE,
            failed=_S.FAILED,
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
register_labels({"series_import.create": gettext_lazy("file uploaded")})


def _push(record: SeriesImport, summary: ImportSummary) -> None:
    payload = {"id": record.pk, "status": _S.RUNNING, **summary.as_dict(), "heartbeat": time.time()}
    cache.set(import_progress_key(record.pk), payload, 24 * 3600)


class _Abandoned(Exception):
    """The row is no longer running (the watchdog failed it): roll back."""


def series_import_run(*, import_id: int) -> SeriesImport | None:
    """QUEUED → RUNNING → DONE | FAILED; a finished import is left alone (idempotent)."""
    with transaction.atomic():
        try:
            record = _lock(None, import_id)
        except NotFound:
            return None
        if record.status not in SERIES_IMPORT_WORKFLOW.transitions["start"].sources:
            return record
        record = transition(record, "start", None, workflow=SERIES_IMPORT_WORKFLOW, started_at=timezone.now())
    _push(record, ImportSummary())
    actor = actor_for(record.requested_by, record.bureau.code) if record.requested_by else None
    try:
        if actor is None:
            raise PermissionDenied(_("The person who asked for the import can no longer act in the bureau."))
        with record.file.open("rb") as handle:
            data = handle.read(max_upload_bytes() + 1)
        if record.sha256 and file_digest(data) != record.sha256:
            raise InvalidInput(
                _("The stored file is not the one uploaded (its SHA-256 changed); nothing was imported."),
                field="file",
            )
        with transaction.atomic():
            summary = series_import_file(
                bureau=record.bureau,
                data=data,
                file_format=record.format,
                actor=actor,
                channel=record.channel,
                station=record.station,
                source=_("import #%(id)d of %(file)s") % {"id": record.pk, "file": record.filename},
                progress=lambda s: _push(record, s),
                import_row=record,
            )
            record = _finish(record, _S.DONE, summary=summary)
    except _Abandoned:
        pass
    except FormatError as problem:
        rejected = ImportSummary(rejected_lines=[problem.line] if problem.line else [])
        where = _("line %(line)s: ") % {"line": problem.line} if problem.line else ""
        record = _finish(record, _S.FAILED, summary=rejected, error=f"{where}{problem.message}")
    except (OSError, InvalidInput, PermissionDenied) as problem:
        record = _finish(record, _S.FAILED, error=str(problem))
    except Exception as exc:  # the import ends failed whatever broke, and the uploader is told
        from portal.jobs import internal_error_message

        logger.exception("series import %s failed", record.pk)
        record = _finish(record, _S.FAILED, error=internal_error_message(exc))
    return record


def _finish(
    record: SeriesImport, status: str, *, summary: ImportSummary | None = None, error: str = ""
) -> SeriesImport:
    with transaction.atomic():
        current = _lock(None, record)
        if current.status != _S.RUNNING:
            if status == _S.DONE:
                raise _Abandoned
            return current
        summary = summary or ImportSummary()
        record = transition(
            current,
            "finish" if status == _S.DONE else "fail",
            None,
            error,
            workflow=SERIES_IMPORT_WORKFLOW,
            extra={"samples_stored": summary.samples_stored, "flagged": summary.flagged},
            finished_at=timezone.now(),
            error=error,
            progress=100 if status == _S.DONE else current.progress,
            samples_stored=summary.samples_stored,
            samples_rejected=summary.samples_rejected,
            rejected_lines=summary.rejected_lines,
            flagged=summary.flagged,
            flagged_lines=summary.flagged_lines,
            channels_touched=summary.channels_touched,
        )
    cache.delete(import_progress_key(record.pk))
    return record


def series_import_fail(*, import_id: int, message: str) -> SeriesImport | None:
    """QUEUED/RUNNING → FAILED with ``message`` (the task guard's and the watchdog's last resort)."""
    return job_fail(SERIES_IMPORT_WORKFLOW, import_id, message, finished_at=timezone.now(), error=message)


def series_imports_fail_abandoned(now: dt.datetime | None = None) -> list[int]:
    """Fail the imports no worker is on any more (no heartbeat for ``HEARTBEAT_GRACE``,
    past the time limit, or queued beyond it); returns their ids."""
    from observations.series_selectors import series_imports_unfinished
    from portal.jobs import MARGIN

    now = now or timezone.now()
    limit = dt.timedelta(seconds=TIME_LIMIT) + MARGIN
    failed: list[int] = []
    for record in series_imports_unfinished(started_before=now - HEARTBEAT_GRACE, queued_before=now - limit):
        if record.status == _S.RUNNING:
            payload = cache.get(import_progress_key(record.pk))
            beat = payload.get("heartbeat") if isinstance(payload, dict) else None
            timed_out = record.started_at is not None and record.started_at < now - limit
            if beat is not None and beat >= (now - HEARTBEAT_GRACE).timestamp() and not timed_out:
                continue
            message = _(
                "The import stopped: its worker ended without finishing the file. Upload the file again."
            )
        else:
            message = _("No worker took the import in time. Upload the file again.")
        ended = series_import_fail(import_id=record.pk, message=message)
        if ended is not None and ended.status == _S.FAILED:
            failed.append(record.pk)
    return failed


def series_import_status(record: SeriesImport) -> dict[str, Any]:
    """The status answer: state, progress and counts (live figures while it runs)."""
    data: dict[str, Any] = {
        "id": record.pk,
        "status": record.status,
        "filename": record.filename,
        "format": record.format,
        "progress": record.progress,
        "samples_stored": record.samples_stored,
        "samples_rejected": record.samples_rejected,
        "rejected_lines": record.rejected_lines,
        "flagged": record.flagged,
        "flagged_lines": record.flagged_lines,
        "channels_touched": record.channels_touched,
        "error": record.error,
        "created_at": record.created_at.isoformat(),
        "finished_at": record.finished_at.isoformat() if record.finished_at else None,
    }
    if record.status == _S.RUNNING:
        live = cache.get(import_progress_key(record.pk))
        if isinstance(live, dict):
            for key in ("progress", "samples_stored", "flagged", "flagged_lines", "channels_touched"):
                data[key] = live.get(key, data[key])
    return data
