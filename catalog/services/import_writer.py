"""Catalog file imports, the writer: streaming, batched upserts, all-or-nothing per file.

The readers in :mod:`catalog.formats` yield one row at a time; rows are
gathered in batches (``IMPORT_BATCH_SIZE``) and each batch costs a handful
of queries: one to find rows already known by their external id, one
``unnest`` join to find the bureau's events within the duplicate window
(time on the origin-time index, distance by ``ST_DWithin`` on the sphere),
one bulk insert of new events, one of their versions and one bulk update of
changed ones. Memory stays flat: nothing but the current batch and the
first ``MAX_STORED_ERRORS`` rejected rows are held.

The whole file runs in one transaction (see the package docstring): a
fatal error (unreadable file, broken XML, no header) stores nothing.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from typing import IO, TYPE_CHECKING, Any

from django.contrib.gis.geos import Point
from django.db import connection, reset_queries, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import arrival
from catalog.formats import EventRow, RowError, read_csv, read_fdsn_text, read_quakeml
from catalog.models import DataOrigin, Event, EventStatus, EventVersion, ReportKind
from portal import search_services
from portal.exceptions import InvalidInput
from portal.services import broadcast_on_commit

from .events import (
    PUBLIC_GROUP,
    SOLUTION_FIELDS,
    Solution,
    duplicate_km,
    duplicate_seconds,
    event_feature,
    events_group,
    make_public_id,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from portal.models import Bureau, User


logger = logging.getLogger(__name__)


IMPORT_BATCH_SIZE = 2000


MAX_STORED_ERRORS = 1000


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


#: The batch's rows, copied in with binary COPY (issue 18): a temporary table of the
#: import's transaction, emptied for each batch.
_STAGE_COLUMNS = (
    ("idx", "int4"),
    ("public_id", "text"),
    ("external_id", "text"),
    ("origin_time", "timestamptz"),
    ("latitude", "float8"),
    ("longitude", "float8"),
    ("depth_km", "float8"),
    ("magnitude", "float8"),
    ("magnitude_type", "text"),
    ("location_name", "text"),
    ("source", "text"),
    ("event_type", "text"),
    ("status", "text"),
    ("report_kind", "text"),
    ("strike", "float8"),
    ("dip", "float8"),
    ("rake", "float8"),
    ("raw_text", "text"),
)
_STAGE = "catalog_import_stage"
_CREATE_STAGE_SQL = (
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGE} ("
    + ", ".join(f"{name} {kind}" for name, kind in _STAGE_COLUMNS)
    + ") ON COMMIT DROP"
)
_COPY_STAGE_SQL = f"COPY {_STAGE} ({', '.join(n for n, _ in _STAGE_COLUMNS)}) FROM STDIN (FORMAT BINARY)"


# Which staged rows are events the bureau already has: by external id first, else the
# nearest in time within the duplicate window (time on event_bureau_time_idx, distance on
# the sphere). One statement for the batch.
_MATCH_SQL = """
WITH by_external AS (
    -- the batch's external ids as an array: one scan of event_external_idx (a join or a
    -- LATERAL ... LIMIT 1 let the planner walk the whole table for an id it never finds)
    SELECT DISTINCT ON (s.idx) s.idx, e.id
    FROM catalog_event e
    JOIN catalog_import_stage s ON s.external_id = e.external_id
    WHERE e.bureau_id = %(bureau)s AND e.external_id = ANY(%(external)s::text[])
    ORDER BY s.idx, e.id DESC
)
SELECT idx, id FROM by_external
UNION ALL
SELECT s.idx, m.id
FROM catalog_import_stage s
CROSS JOIN LATERAL (
    -- per staged row: a short walk of event_bureau_time_idx (a join over the whole
    -- bureau would read its whole catalog for every batch)
    SELECT e.id
    FROM catalog_event e
    WHERE e.bureau_id = %(bureau)s
      AND e.origin_time BETWEEN s.origin_time - make_interval(secs => %(seconds)s)
                            AND s.origin_time + make_interval(secs => %(seconds)s)
      AND ST_DWithin(e.location::geography(POINT,4326),
                     ST_SetSRID(ST_MakePoint(s.longitude, s.latitude), 4326)::geography, %(metres)s, false)
    ORDER BY abs(extract(epoch FROM e.origin_time - s.origin_time)), e.id
    LIMIT 1
) m
WHERE s.idx NOT IN (SELECT idx FROM by_external)
"""


# The new events and their first versions in one statement: ``pick`` names, per new event,
# the staged row whose values it takes (the last duplicate within the batch) and the row
# whose line it came from (the first).
_INSERT_SQL = """
WITH pick AS (
    SELECT s.*, r.raw_text AS first_raw
    FROM unnest(%(src)s::int[], %(raw)s::int[]) AS p(src, raw_src)
    JOIN catalog_import_stage s ON s.idx = p.src
    JOIN catalog_import_stage r ON r.idx = p.raw_src
), ins AS (
    INSERT INTO catalog_event (
        created_at, updated_at, bureau_id, is_published, version, location,
        public_id, external_id, origin_time, latitude, longitude, depth_km, magnitude,
        magnitude_type, location_name, source, event_type, status, report_kind, strike, dip, rake)
    SELECT now(), now(), %(bureau)s, %(publish)s, 1, ST_SetSRID(ST_MakePoint(longitude, latitude), 4326),
        public_id, external_id, origin_time, latitude, longitude, depth_km, magnitude,
        magnitude_type, location_name, source, event_type, status, report_kind, strike, dip, rake
    FROM pick
    RETURNING id, public_id, origin_time, latitude, longitude, depth_km, magnitude, magnitude_type,
        location_name, source, status, report_kind, strike, dip, rake
), versions AS (
    INSERT INTO catalog_eventversion (
        event_id, version, origin_time, latitude, longitude, depth_km, magnitude, magnitude_type,
        location_name, source, status, report_kind, strike, dip, rake, data_origin, raw_text,
        created_at, created_by_id)
    SELECT i.id, 1, i.origin_time, i.latitude, i.longitude, i.depth_km, i.magnitude, i.magnitude_type,
        i.location_name, i.source, i.status, i.report_kind, i.strike, i.dip, i.rake, %(data_origin)s,
        p.first_raw, now(), %(user)s
    FROM ins i JOIN pick p ON p.public_id = i.public_id
)
SELECT id, origin_time FROM ins
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

    def _stage(self, solutions: list[Solution], raw: list[str]) -> list[str]:
        """Copy the batch into the staging table (binary COPY); its rows' public ids."""
        code = self.bureau.code
        ids = [make_public_id(code, s.origin_time, s.latitude, s.longitude) for s in solutions]
        with connection.cursor() as cursor:
            cursor.execute(_CREATE_STAGE_SQL)
            cursor.execute(f"TRUNCATE {_STAGE}")
            with cursor.cursor.copy(_COPY_STAGE_SQL) as copy:
                copy.set_types([kind for _, kind in _STAGE_COLUMNS])
                write = copy.write_row
                for index, (s, public_id, text) in enumerate(zip(solutions, ids, raw, strict=True)):
                    write(
                        (
                            index, public_id, s.external_id, s.origin_time, s.latitude, s.longitude,
                            s.depth_km, s.magnitude, s.magnitude_type, s.location_name, s.source,
                            s.event_type, s.status, s.report_kind, s.strike, s.dip, s.rake, text,
                        )
                    )  # fmt: skip
            # The planner must know the batch's size to walk the time index per row.
            cursor.execute(f"ANALYZE {_STAGE}")
        return ids

    def _match_existing(self, solutions: list[Solution]) -> dict[int, int]:
        """Index in batch -> id of the bureau's event it duplicates (on the server)."""
        external = sorted({s.external_id for s in solutions if s.external_id})
        with connection.cursor() as cursor:
            cursor.execute(
                _MATCH_SQL,
                {
                    "bureau": self.bureau.pk,
                    "external": external,
                    "seconds": self.seconds,
                    "metres": self.km * 1000.0,
                },
            )
            return dict(cursor.fetchall())

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
        # A savepoint where the caller holds a transaction, else one: the staging table
        # lives until the end of it (ON COMMIT DROP).
        with transaction.atomic():
            self._stage(solutions, raw)
            matches = self._match_existing(solutions)
            unmatched = [i for i in range(len(solutions)) if i not in matches]
            firsts, folded = self._fold_within_batch(solutions, unmatched)
            # A later row of the same event in this batch replaces the first one's values.
            source = {i: i for i in firsts}
            for later, first in sorted(folded.items(), key=lambda kv: solutions[kv[0]].origin_time):
                source[first] = later
                self.summary.updated += 1
            touched = self._insert([source[i] for i in firsts], firsts)
            if matches:
                touched += self._update(matches, solutions, raw)
            # Written in bulk, so no save signal indexes them (portal.search): a task does, once
            # the import commits.
            search_services.index_ids_after_commit("event", touched)

    def _insert(self, sources: list[int], firsts: list[int]) -> list[int]:
        """The new events and their first versions, from the staging table in one statement.

        ``sources[k]`` is the staged row whose values the k-th new event takes, ``firsts[k]``
        the row whose line its first version names. (Before issue 18: arrays through
        ``unnest``, two statements; the ORM's bulk_create before that.)
        """
        if not sources:
            return []
        with connection.cursor() as cursor:
            cursor.execute(
                _INSERT_SQL,
                {
                    "src": sources,
                    "raw": firsts,
                    "bureau": self.bureau.pk,
                    "publish": self.publish,
                    "data_origin": self.data_origin,
                    "user": self.user.pk if self.user else None,
                },
            )
            inserted = cursor.fetchall()  # (id, origin_time)
        self.summary.inserted += len(inserted)
        self.live += [(pk, True) for pk, when in inserted if when >= self.live_after]
        return [pk for pk, _when in inserted]

    def _update(self, matches: dict[int, int], solutions: list[Solution], raw: list[str]) -> list[int]:
        """Matched rows that change their event: a new version each; returns the events changed."""
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
        return list(changed)


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
    for chunk in _parsed(rows, batch_size, fraction):
        summary.rows_read += chunk.read
        for line, reason in chunk.rejects:
            summary.reject(line, reason)
        solutions += chunk.solutions
        raw += chunk.raw
        if chunk.flush:
            batcher.flush(solutions, raw)
            solutions, raw = [], []
            # With DEBUG on, Django keeps the last 9,000 statements: clear them or
            # memory grows over a million rows.
            reset_queries()
        if chunk.report:
            # after a flush, and on a long run of rejected rows that flushes nothing: the
            # progress is the import's heartbeat (see HEARTBEAT_GRACE)
            if chunk.fraction is not None:
                summary.fraction = chunk.fraction
            if progress is not None:
                progress(summary)
    batcher.flush(solutions, raw)
    summary.fraction = 1.0
    if progress is not None:
        progress(summary)
    _announce_live(batcher.live)
    return summary


@dataclass
class _Chunk:
    """What the parser read up to a point where the writer flushes or reports progress."""

    read: int = 0
    rejects: list[tuple[int | None, str]] = field(default_factory=list)
    solutions: list[Solution] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)
    flush: bool = False
    report: bool = False
    fraction: float | None = None


def _chunks(
    rows: Iterable[EventRow | RowError],
    batch_size: int,
    fraction: Callable[[EventRow | RowError], float] | None,
) -> Iterator[_Chunk]:
    """Parse and check rows into chunks (pure Python, no database)."""
    chunk = _Chunk()
    pending = 0  # solutions since the last flush
    for read, row in enumerate(rows, start=1):
        chunk.read += 1
        if isinstance(row, RowError):
            chunk.rejects.append((row.line, row.reason))
        else:
            try:
                solution = _solution(row)
            except (TypeError, ValueError) as problem:
                chunk.rejects.append((row.line, str(problem)))
            else:
                chunk.solutions.append(solution)
                chunk.raw.append(f"line {row.line}" if row.line else "")
                pending += 1
        if pending >= batch_size:
            chunk.flush = chunk.report = True
            pending = 0
        elif read % batch_size == 0:
            chunk.report = True
        if chunk.report:
            chunk.fraction = fraction(row) if fraction is not None else None
            yield chunk
            chunk = _Chunk()
    yield chunk


#: Chunks the parser may read ahead of the writer.
_READ_AHEAD = 2
_DONE = object()


def _parsed(
    rows: Iterable[EventRow | RowError],
    batch_size: int,
    fraction: Callable[[EventRow | RowError], float] | None,
) -> Iterator[_Chunk]:
    """:func:`_chunks` run in a thread of its own, so reading and checking the next batch
    goes on while the database stores this one (issue 18: parsing took 4.5 s of 23 s,
    in series with the inserts). The parser holds no database connection; the readers
    are pure. An exception in the parser (a FormatError) is raised here, in order.
    """
    ahead: queue.Queue[Any] = queue.Queue(maxsize=_READ_AHEAD)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                ahead.put(item, timeout=0.5)
            except queue.Full:
                continue
            return True
        return False

    def parse() -> None:
        try:
            for chunk in _chunks(rows, batch_size, fraction):
                if not put(chunk):
                    return
        except BaseException as problem:  # noqa: BLE001 - handed to the writer's thread
            put(problem)
            return
        put(_DONE)

    thread = threading.Thread(target=parse, name="catalog-import-parser", daemon=True)
    thread.start()
    try:
        while True:
            item = ahead.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


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
