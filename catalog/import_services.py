"""Catalog file imports: streaming, batched upserts, all-or-nothing per file.

The readers in :mod:`catalog.formats` yield one row at a time; rows are
gathered in batches (``IMPORT_BATCH_SIZE``) and each batch costs a handful
of queries: one to find rows already known by their external id, one
``unnest`` join to find the bureau's events within the duplicate window
(time on the origin-time index, distance by ``ST_DWithin`` on the sphere),
one bulk insert of new events, one of their versions and one bulk update of
changed ones. Memory stays flat: nothing but the current batch and the
first ``MAX_STORED_ERRORS`` rejected rows are held.

The whole file runs in one transaction (see :mod:`catalog.services`): a
fatal error (unreadable file, broken XML, no header) stores nothing.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO, TYPE_CHECKING, Any

from django.contrib.gis.geos import Point
from django.core.cache import cache
from django.db import connection, reset_queries, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal import uploads
from portal.exceptions import InvalidInput, NotFound, PermissionDenied
from portal.models import Bureau, Notification, User
from portal.services import audit_record, broadcast, broadcast_on_commit
from portal.workflow import (
    Handoff,
    Transition,
    Workflow,
    by_the_system,
    register,
    register_labels,
    transition,
)

from . import arrival
from .formats import EventRow, FormatError, RowError, read_csv, read_fdsn_text, read_quakeml
from .models import DataOrigin, Event, EventImport, EventStatus, EventVersion, ReportKind
from .services import (
    PUBLIC_GROUP,
    SOLUTION_FIELDS,
    Solution,
    can_post_quick_report,
    duplicate_km,
    duplicate_seconds,
    event_feature,
    events_group,
    make_public_id,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from portal.tenancy import Actor

logger = logging.getLogger(__name__)

IMPORT_BATCH_SIZE = 2000
MAX_STORED_ERRORS = 1000
MAX_UPLOAD_BYTES = 512 * 1024 * 1024
# The import task's limits (catalog.tasks); the watchdog gives up on an import after these.
TIME_LIMIT = 3 * 3600
SOFT_TIME_LIMIT = TIME_LIMIT - 60
# A running import writes a heartbeat with its progress after every batch (seconds
# apart); none for this long means its worker is gone, well before the time limit.
HEARTBEAT_GRACE = timedelta(minutes=10)
FORMATS = ("csv", "text", "quakeml")
_EARTH_RADIUS_KM = 6371.0087714


@dataclass
class ImportSummary:
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    fraction: float = 0.0

    def reject(self, line: int | None, reason: str) -> None:
        self.rejected += 1
        if len(self.errors) < MAX_STORED_ERRORS:
            self.errors.append({"line": line, "reason": reason})

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows_read": self.rows_read,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "errors": self.errors,
            "progress": round(self.fraction, 4),
        }


#: Clocks of networks disagree a little; an event later than this from now has not
#: happened (a typed 9999, or a file from a clock set wrong) and would head every list.
FUTURE_TOLERANCE = timedelta(hours=1)


def _solution(row: EventRow) -> Solution:
    """The row as a solution; ValueError (the row is rejected with its line) when impossible."""
    if row.origin_time > timezone.now() + FUTURE_TOLERANCE:
        raise ValueError(
            f"time {row.origin_time:%Y-%m-%dT%H:%M:%S}Z is in the future "
            "(more than one hour after now); the event is not imported"
        )
    automatic = (row.evaluation_mode or "").lower() == "automatic"
    return Solution(
        origin_time=row.origin_time,
        latitude=row.latitude,
        longitude=row.longitude,
        depth_km=row.depth_km,
        magnitude=row.magnitude,
        magnitude_type=(row.magnitude_type or "M")[:8],
        location_name=(row.location_name or "")[:200],
        source=(row.source or row.contributor or "")[:64],
        status=EventStatus.AUTOMATIC if automatic else EventStatus.REVIEWED,
        report_kind=ReportKind.CATALOG,
        strike=row.strike,
        dip=row.dip,
        rake=row.rake,
        event_type=(row.event_type or "earthquake")[:40],
        external_id=(row.public_id or "")[:128],
    )


def _distance_km(a: Solution, b: Solution) -> float:
    """Great-circle distance on the sphere (haversine), km."""
    p1, p2 = math.radians(a.latitude), math.radians(b.latitude)
    dp, dl = p2 - p1, math.radians(b.longitude - a.longitude)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


_WINDOW_SQL = """
SELECT DISTINCT ON (v.idx) v.idx, e.id
FROM unnest(%s::int[], %s::timestamptz[], %s::float8[], %s::float8[]) AS v(idx, t, lon, lat)
JOIN catalog_event e
  ON e.bureau_id = %s
 AND e.origin_time BETWEEN v.t - make_interval(secs => %s) AND v.t + make_interval(secs => %s)
 AND ST_DWithin(e.location::geography(POINT,4326),
                ST_SetSRID(ST_MakePoint(v.lon, v.lat), 4326)::geography, %s, false)
ORDER BY v.idx, abs(extract(epoch FROM e.origin_time - v.t)), e.id
"""


_INSERT_EVENTS_SQL = """
INSERT INTO catalog_event (
    created_at, updated_at, bureau_id, is_published, version, location,
    public_id, external_id, origin_time, latitude, longitude, depth_km, magnitude,
    magnitude_type, location_name, source, event_type, status, report_kind, strike, dip, rake)
SELECT now(), now(), %s, %s, 1, ST_SetSRID(ST_MakePoint(u.longitude, u.latitude), 4326),
    u.public_id, u.external_id, u.origin_time, u.latitude, u.longitude, u.depth_km, u.magnitude,
    u.magnitude_type, u.location_name, u.source, u.event_type, u.status, u.report_kind, u.strike, u.dip, u.rake
FROM unnest(%s::text[], %s::text[], %s::timestamptz[], %s::float8[], %s::float8[], %s::float8[],
            %s::float8[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[],
            %s::float8[], %s::float8[], %s::float8[])
    AS u(public_id, external_id, origin_time, latitude, longitude, depth_km, magnitude,
         magnitude_type, location_name, source, event_type, status, report_kind, strike, dip, rake)
RETURNING id, public_id
"""

# The first version copies the row just inserted, with the line it came from.
_INSERT_FIRST_VERSIONS_SQL = """
INSERT INTO catalog_eventversion (
    event_id, version, origin_time, latitude, longitude, depth_km, magnitude, magnitude_type,
    location_name, source, status, report_kind, strike, dip, rake, data_origin, raw_text,
    created_at, created_by_id)
SELECT e.id, 1, e.origin_time, e.latitude, e.longitude, e.depth_km, e.magnitude, e.magnitude_type,
    e.location_name, e.source, e.status, e.report_kind, e.strike, e.dip, e.rake, %s, r.raw_text,
    now(), %s
FROM unnest(%s::text[], %s::bigint[]) AS r(raw_text, event_id)
JOIN catalog_event e ON e.id = r.event_id
"""


class _Batcher:
    """Upserts batches of solutions into one bureau's catalog (inside the caller's transaction)."""

    def __init__(
        self,
        *,
        bureau: Bureau,
        publish: bool,
        user: User | None,
        summary: ImportSummary,
        data_origin: str = DataOrigin.IMPORT,
    ) -> None:
        self.bureau = bureau
        self.data_origin = data_origin
        self.publish = publish
        self.user = user if user is not None and user.pk else None
        self.summary = summary
        self.seconds = duplicate_seconds()
        self.km = duplicate_km()
        # Only fresh events are announced: catalog.arrival's one rule, applied here to spare
        # a task per historical row (the task checks it again).
        self.live_after, _latest = arrival.fresh_window()
        self.live: list[tuple[int, bool]] = []

    def _match_existing(self, solutions: list[Solution]) -> dict[int, int]:
        """Index in batch -> id of the bureau's event it duplicates."""
        matches: dict[int, int] = {}
        external = {s.external_id for s in solutions if s.external_id}
        if external:
            known = dict(
                Event.objects.filter(bureau=self.bureau, external_id__in=external).values_list(
                    "external_id", "id"
                )
            )
            for index, solution in enumerate(solutions):
                if solution.external_id in known:
                    matches[index] = known[solution.external_id]
        rest = [i for i in range(len(solutions)) if i not in matches]
        if not rest:
            return matches
        with connection.cursor() as cursor:
            cursor.execute(
                _WINDOW_SQL,
                [
                    rest,
                    [solutions[i].origin_time for i in rest],
                    [solutions[i].longitude for i in rest],
                    [solutions[i].latitude for i in rest],
                    self.bureau.pk,
                    self.seconds,
                    self.seconds,
                    self.km * 1000.0,
                ],
            )
            for index, event_id in cursor.fetchall():
                matches[index] = event_id
        return matches

    def _fold_within_batch(
        self, solutions: list[Solution], unmatched: list[int]
    ) -> tuple[list[int], dict[int, int]]:
        """Unmatched rows that duplicate an earlier row of the same batch: (firsts, later -> first)."""
        order = sorted(unmatched, key=lambda i: solutions[i].origin_time)
        firsts: list[int] = []
        folded: dict[int, int] = {}
        by_external: dict[str, int] = {}
        window = timedelta(seconds=self.seconds)
        for position, index in enumerate(order):
            solution = solutions[index]
            target = by_external.get(solution.external_id) if solution.external_id else None
            back = position - 1
            while target is None and back >= 0:
                other = order[back]
                if solution.origin_time - solutions[other].origin_time > window:
                    break
                if other not in folded and _distance_km(solution, solutions[other]) <= self.km:
                    target = other
                back -= 1
            if target is None:
                firsts.append(index)
                if solution.external_id:
                    by_external[solution.external_id] = index
            else:
                folded[index] = target
        return firsts, folded

    def flush(self, solutions: list[Solution], raw: list[str]) -> None:
        if not solutions:
            return
        matches = self._match_existing(solutions)
        unmatched = [i for i in range(len(solutions)) if i not in matches]
        firsts, folded = self._fold_within_batch(solutions, unmatched)
        # A later row of the same event in this batch replaces the first one's values.
        final: dict[int, Solution] = {i: solutions[i] for i in firsts}
        for later, first in sorted(folded.items(), key=lambda kv: solutions[kv[0]].origin_time):
            final[first] = solutions[later]
            self.summary.updated += 1
        self._insert([final[i] for i in firsts], [raw[i] for i in firsts])
        if matches:
            self._update(matches, solutions, raw)

    def _insert(self, solutions: list[Solution], raw: list[str]) -> None:
        """One INSERT ... SELECT FROM unnest(arrays) for the events, one for their first versions.

        The ORM's bulk_create spends ~1 ms per row building and binding the
        statement; arrays bound as twenty parameters cost the server a few
        microseconds per row (measured in bench/catalog_bench.py).
        """
        if not solutions:
            return
        ids = [make_public_id(self.bureau.code, s.origin_time, s.latitude, s.longitude) for s in solutions]
        columns = [
            ids,
            [s.external_id for s in solutions],
            [s.origin_time for s in solutions],
            [s.latitude for s in solutions],
            [s.longitude for s in solutions],
            [s.depth_km for s in solutions],
            [s.magnitude for s in solutions],
            [s.magnitude_type for s in solutions],
            [s.location_name for s in solutions],
            [s.source for s in solutions],
            [s.event_type for s in solutions],
            [s.status for s in solutions],
            [s.report_kind for s in solutions],
            [s.strike for s in solutions],
            [s.dip for s in solutions],
            [s.rake for s in solutions],
        ]
        with connection.cursor() as cursor:
            cursor.execute(_INSERT_EVENTS_SQL, [self.bureau.pk, self.publish, *columns])
            inserted = cursor.fetchall()  # (id, public_id); RETURNING order is not promised
            event_ids = [row[0] for row in inserted]
            raw_by_id = dict(zip(ids, raw, strict=True))
            cursor.execute(
                _INSERT_FIRST_VERSIONS_SQL,
                [
                    self.data_origin,
                    self.user.pk if self.user else None,
                    [raw_by_id[row[1]] for row in inserted],
                    event_ids,
                ],
            )
        self.summary.inserted += len(event_ids)
        when = {pid: s.origin_time for pid, s in zip(ids, solutions, strict=True)}
        self.live += [(pk, True) for pk, pid in inserted if when[pid] >= self.live_after]

    def _update(self, matches: dict[int, int], solutions: list[Solution], raw: list[str]) -> None:
        events = Event.objects.in_bulk(set(matches.values()))
        top = dict(
            EventVersion.objects.filter(event_id__in=events.keys())
            .values("event_id")
            .annotate(top=Max("version"))
            .values_list("event_id", "top")
        )
        versions: list[EventVersion] = []
        changed: dict[int, Event] = {}
        now = timezone.now()
        for index in sorted(matches, key=lambda i: solutions[i].origin_time):
            event = events[matches[index]]
            solution = solutions[index]
            if all(getattr(event, n) == getattr(solution, n) for n in SOLUTION_FIELDS) and (
                event.is_published or not self.publish
            ):
                self.summary.unchanged += 1
                continue
            number = top.get(event.pk, 0) + 1
            top[event.pk] = number
            versions.append(
                EventVersion(
                    event=event,
                    version=number,
                    data_origin=self.data_origin,
                    raw_text=raw[index],
                    created_by=self.user,
                    **{name: getattr(solution, name) for name in SOLUTION_FIELDS},
                )
            )
            if not (event.status == EventStatus.REVIEWED and solution.status == EventStatus.AUTOMATIC):
                for name in SOLUTION_FIELDS:
                    setattr(event, name, getattr(solution, name))
                event.location = Point(solution.longitude, solution.latitude, srid=4326)
                event.event_type = solution.event_type
                if solution.external_id:
                    event.external_id = solution.external_id
                event.version = number
            event.is_published = event.is_published or self.publish
            event.updated_at = now
            changed[event.pk] = event
            self.summary.updated += 1
        if changed:
            Event.objects.bulk_update(
                list(changed.values()),
                [
                    *SOLUTION_FIELDS,
                    "location",
                    "event_type",
                    "external_id",
                    "version",
                    "is_published",
                    "updated_at",
                ],
            )
            EventVersion.objects.bulk_create(versions)
            self.live += [(pk, False) for pk, e in changed.items() if e.origin_time >= self.live_after]


def import_rows(
    *,
    bureau: Bureau,
    rows: Iterable[EventRow | RowError],
    publish: bool = True,
    user: User | None = None,
    batch_size: int = IMPORT_BATCH_SIZE,
    progress: Callable[[ImportSummary], None] | None = None,
    fraction: Callable[[EventRow | RowError], float] | None = None,
    data_origin: str = DataOrigin.IMPORT,
) -> ImportSummary:
    """Upsert rows into the bureau's catalog; call inside a transaction.

    Rejected rows are counted with their line and reason. Raises FormatError
    (from the reader) when the input cannot be read at all; the caller's
    transaction then stores nothing.
    """
    summary = ImportSummary()
    batcher = _Batcher(bureau=bureau, publish=publish, user=user, summary=summary, data_origin=data_origin)
    solutions: list[Solution] = []
    raw: list[str] = []
    for row in rows:
        summary.rows_read += 1
        if isinstance(row, RowError):
            summary.reject(row.line, row.reason)
        else:
            try:
                solution = _solution(row)
            except (TypeError, ValueError) as problem:
                summary.reject(row.line, str(problem))
            else:
                solutions.append(solution)
                raw.append(f"line {row.line}" if row.line else "")
        if len(solutions) >= batch_size:
            batcher.flush(solutions, raw)
            solutions, raw = [], []
            # With DEBUG on, Django keeps the last 9,000 statements, each holding
            # the batch's arrays as text (~0.3 MB): clear them or memory grows by
            # hundreds of MB over a million rows.
            reset_queries()
            _report_progress(summary, row, fraction, progress)
        elif summary.rows_read % batch_size == 0:
            # A long run of rejected rows flushes nothing, but the progress (the import's
            # heartbeat, see HEARTBEAT_GRACE) must go on.
            _report_progress(summary, row, fraction, progress)
    batcher.flush(solutions, raw)
    summary.fraction = 1.0
    if progress is not None:
        progress(summary)
    _announce_live(batcher.live)
    return summary


def _report_progress(
    summary: ImportSummary,
    row: EventRow | RowError,
    fraction: Callable[[EventRow | RowError], float] | None,
    progress: Callable[[ImportSummary], None] | None,
) -> None:
    if fraction is not None:
        summary.fraction = fraction(row)
    if progress is not None:
        progress(summary)


def _announce_live(live: list[tuple[int, bool]]) -> None:
    """Arrivals and live pushes for fresh events only (see catalog.arrival)."""
    if not live:
        return
    events = Event.objects.select_related("bureau").in_bulk([pk for pk, _ in live])
    for pk, created in live:
        event = events.get(pk)
        if event is None:
            continue
        message = {
            "kind": "catalog.event",
            "action": "create" if created else "update",
            "data": event_feature(event),
        }
        broadcast_on_commit(events_group(event.bureau_id), message)
        if event.is_published and event.status != EventStatus.DELETED:
            broadcast_on_commit(PUBLIC_GROUP, message)
        arrival.event_arrived(event_id=pk, created=created, source="import")


# ---------------------------------------------------------------- files


class _CountingLines:
    """Iterates a binary file's lines, counting the bytes consumed (for progress)."""

    def __init__(self, fileobj: IO[bytes]) -> None:
        self.fileobj = fileobj
        self.consumed = 0

    def __iter__(self) -> Iterator[bytes]:
        for line in self.fileobj:
            self.consumed += len(line)
            yield line


def read_file(
    fileobj: IO[bytes], file_format: str, size: int
) -> tuple[Iterator[EventRow | RowError], Callable[[Any], float]]:
    """The reader for ``file_format`` and a function giving the fraction read."""
    if file_format == "quakeml":
        data = fileobj.read()
        total_lines = max(1, data.count(b"\n"))
        return read_quakeml(data), lambda row: min(1.0, (getattr(row, "line", None) or 0) / total_lines)
    lines = _CountingLines(fileobj)
    reader = read_csv(lines) if file_format == "csv" else read_fdsn_text(lines)
    return reader, lambda _row: min(1.0, lines.consumed / max(1, size))


def import_file(
    *,
    bureau: Bureau,
    fileobj: IO[bytes],
    file_format: str,
    size: int,
    publish: bool = True,
    user: User | None = None,
    batch_size: int = IMPORT_BATCH_SIZE,
    progress: Callable[[ImportSummary], None] | None = None,
) -> ImportSummary:
    """Import one catalog file in one transaction. Raises FormatError (nothing stored)."""
    if file_format not in FORMATS:
        raise InvalidInput(_("Unknown format; use csv, text or quakeml."), field="format")
    reader, fraction = read_file(fileobj, file_format, size)
    with transaction.atomic():
        return import_rows(
            bureau=bureau,
            rows=reader,
            publish=publish,
            user=user,
            batch_size=batch_size,
            progress=progress,
            fraction=fraction,
        )


# ---------------------------------------------------------------- EventImport workflow


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
    from .tasks import event_import_task

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


def _import_lock(actor: Actor | None, record: EventImport | int) -> EventImport:
    locked = (
        EventImport.objects.select_for_update(of=("self",))
        .select_related("bureau", "created_by")
        .filter(pk=getattr(record, "pk", record))
        .first()
    )
    if locked is None:
        raise NotFound()
    return locked


def _import_live(record: EventImport, action: str) -> tuple[str, dict[str, Any]]:
    payload = _final_payload(record)
    return events_group(record.bureau_id), payload


def _final_payload(record: EventImport) -> dict[str, Any]:
    return {
        "kind": "catalog.import",
        "id": record.pk,
        "status": record.status,
        "error": record.error,
        "rows_read": record.rows_read,
        "inserted": record.inserted,
        "updated": record.updated,
        "unchanged": record.unchanged,
        "rejected": record.rejected,
        "errors": record.errors[:20],
    }


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
        transitions={
            # running -> running: the worker died mid-file and the task runs it again (its
            # transaction never committed, so nothing of it is stored)
            "start": Transition(
                frozenset({_Import.QUEUED, _Import.RUNNING}),
                _Import.RUNNING,
                by_the_system,
                gettext_lazy("import started"),
            ),
            "finish": Transition(
                frozenset({_Import.RUNNING}),
                _Import.DONE,
                by_the_system,
                gettext_lazy("import finished"),
                notify=_to_the_uploader,
            ),
            "fail": Transition(
                frozenset({_Import.QUEUED, _Import.RUNNING}),
                _Import.FAILED,
                by_the_system,
                gettext_lazy("import failed"),
                notify=_to_the_uploader,
            ),
        },
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
    with transaction.atomic():
        try:
            record = _import_lock(None, import_id)
        except NotFound:
            return None
        if record.status not in IMPORT_WORKFLOW.transitions["fail"].sources:
            return record
        return transition(
            record,
            "fail",
            None,
            message,
            workflow=IMPORT_WORKFLOW,
            finished_at=timezone.now(),
            error=message,
            errors=[],
        )


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
    from portal.jobs import MARGIN

    from .selectors import event_imports_unfinished

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
        "id": record.pk,
        "filename": record.filename,
        "format": record.format,
        "status": record.status,
        "error": record.error,
        "rows_read": record.rows_read,
        "inserted": record.inserted,
        "updated": record.updated,
        "unchanged": record.unchanged,
        "rejected": record.rejected,
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
