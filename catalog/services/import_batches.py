"""Catalog imports, the batch: rows staged in a temporary table, then written on the server.

A batch's rows reach the staging table (``catalog_import_stage``, a temporary table of the
import's transaction) in one of two ways: rows the readers parsed in Python, by binary
``COPY`` (:meth:`Batch.stage_solutions`, fed by :func:`write_rows`), or CSV lines converted
by PostgreSQL itself (:mod:`catalog.services.import_csv`). Each staged row has a key,
increasing in file order (its line in a CSV file, else its position): it breaks ties as
the list index did before issue 18.

:meth:`Batch.flush` then works on the server, a handful of statements whatever the size:
the rows that are events the bureau already has (by external id, else within the
duplicate window: time on the time index, distance on the sphere; no walk at all for a
row outside the span of the bureau's catalog), the rows that duplicate an earlier row of
the same batch (only the few with a neighbour within the window come back to Python, and
the fold runs over them as it always did), one statement inserting the new events and
their first versions, and a bulk update of changed ones.

The rows read in Python reach a batch through :mod:`catalog.services.import_rows`.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.contrib.gis.geos import Point
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from catalog import arrival
from catalog.models import DataOrigin, Event, EventStatus, EventVersion
from portal import search_services

from .events import SOLUTION_FIELDS, Solution, duplicate_km, duplicate_seconds, make_public_id

if TYPE_CHECKING:
    from collections.abc import Iterator

    from portal.models import Bureau, User


MAX_STORED_ERRORS = 1000


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


def _distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance on the sphere (haversine) between (latitude, longitude), km."""
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    dp, dl = p2 - p1, math.radians(b[1] - a[1])
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


#: The batch's rows (issue 18): a temporary table of the import's transaction, emptied
#: for each batch. ``idx`` is the row's key (see the module docstring).
STAGE = "catalog_import_stage"
STAGE_COLUMNS = (
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
_CREATE_STAGE_SQL = (
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGE} ("
    + ", ".join(f"{name} {kind}" for name, kind in STAGE_COLUMNS)
    + ") ON COMMIT DROP"
)
_COPY_STAGE_SQL = f"COPY {STAGE} ({', '.join(n for n, _ in STAGE_COLUMNS)}) FROM STDIN (FORMAT BINARY)"


# Which staged rows are events the bureau already has: by external id first, else the
# nearest in time within the duplicate window (time on event_bureau_time_idx, distance on
# the sphere). One statement for the batch, in the order the fold below relies on.
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
SELECT idx, id FROM (
    SELECT 1 AS part, idx, id FROM by_external
    UNION ALL
    SELECT 2, s.idx, m.id
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
      -- no walk for a row outside the span of the bureau's catalog (its first and last
      -- event: two index lookups): a catalog imported in time order, a newer file
      AND s.origin_time >= (SELECT min(origin_time) FROM catalog_event WHERE bureau_id = %(bureau)s)
                           - make_interval(secs => %(seconds)s)
      AND s.origin_time <= (SELECT max(origin_time) FROM catalog_event WHERE bureau_id = %(bureau)s)
                           + make_interval(secs => %(seconds)s)
) matched
ORDER BY part, idx
"""

# Rows not matched to a stored event that may duplicate another row of the batch: a
# neighbour in time within the window (lag/lead over the time order: a row with none
# can neither fold into another nor take one in) or an external id another row shares.
_FOLD_CANDIDATES_SQL = """
WITH unmatched AS (
    SELECT s.idx, s.origin_time, s.latitude, s.longitude, s.external_id
    FROM catalog_import_stage s
    WHERE NOT EXISTS (SELECT 1 FROM unnest(%(matched)s::int[]) AS m(idx) WHERE m.idx = s.idx)
), neighbours AS (
    SELECT u.*,
        u.origin_time - lag(u.origin_time) OVER in_time AS since_previous,
        lead(u.origin_time) OVER in_time - u.origin_time AS until_next,
        {sharing} AS sharing
    FROM unmatched u
    WINDOW in_time AS (ORDER BY u.origin_time, u.idx)
)
SELECT idx, origin_time, latitude, longitude, external_id
FROM neighbours
WHERE since_previous <= make_interval(secs => %(seconds)s)
   OR until_next <= make_interval(secs => %(seconds)s)
   OR (external_id <> '' AND sharing > 1)
ORDER BY origin_time, idx
"""


# The new events and their first versions in one statement. ``pick`` holds, per new event
# in time order (the ids follow it; drawn before the inserts, so the versions need no
# join back to the events), the values it takes and the line its first version names.
_INSERT_SQL = """
WITH pick AS MATERIALIZED (
    SELECT nextval(%(sequence)s::regclass) AS id, p.*
    FROM ({pick}) p
), events AS (
    INSERT INTO catalog_event (
        id, created_at, updated_at, bureau_id, is_published, version, location,
        public_id, external_id, origin_time, latitude, longitude, depth_km, magnitude,
        magnitude_type, location_name, source, event_type, status, report_kind, strike, dip, rake)
    SELECT id, now(), now(), %(bureau)s, %(publish)s, 1, ST_SetSRID(ST_MakePoint(longitude, latitude), 4326),
        public_id, external_id, origin_time, latitude, longitude, depth_km, magnitude,
        magnitude_type, location_name, source, event_type, status, report_kind, strike, dip, rake
    FROM pick
), versions AS (
    INSERT INTO catalog_eventversion (
        event_id, version, origin_time, latitude, longitude, depth_km, magnitude, magnitude_type,
        location_name, source, status, report_kind, strike, dip, rake, data_origin, raw_text,
        created_at, created_by_id)
    SELECT id, 1, origin_time, latitude, longitude, depth_km, magnitude, magnitude_type,
        location_name, source, status, report_kind, strike, dip, rake, %(data_origin)s,
        first_raw, now(), %(user)s
    FROM pick
)
SELECT coalesce(array_agg(id), '{{}}'), coalesce(array_agg(id) FILTER (WHERE origin_time >= %(live_after)s), '{{}}')
FROM pick
"""

# Every staged row not skipped (matched to a stored event, or folded into an earlier row)
# is a new event with its own values.
_PICK_ROWS = """
    SELECT s.*, s.raw_text AS first_raw
    FROM catalog_import_stage s
    WHERE NOT EXISTS (SELECT 1 FROM unnest(%(skip)s::int[]) AS k(idx) WHERE k.idx = s.idx)
    ORDER BY s.origin_time, s.idx
"""

# The same where rows of the batch folded into an earlier one: that first row's event takes
# the values of the last of them (``sources``), its version still names the first's line.
_PICK_FOLDED = """
    SELECT s.*, f.raw_text AS first_raw
    FROM catalog_import_stage f
    LEFT JOIN unnest(%(folded_firsts)s::int[], %(folded_sources)s::int[]) AS o(first, source)
        ON o.first = f.idx
    JOIN catalog_import_stage s ON s.idx = coalesce(o.source, f.idx)
    WHERE NOT EXISTS (SELECT 1 FROM unnest(%(skip)s::int[]) AS k(idx) WHERE k.idx = f.idx)
    ORDER BY f.origin_time, f.idx
"""


_SOLUTION_COLUMNS = (
    "origin_time, latitude, longitude, depth_km, magnitude, magnitude_type, location_name, source, "
    "status, report_kind, strike, dip, rake, event_type, external_id"
)


class Batch:
    """Stages rows and writes them, a batch at a time, into one bureau's catalog (inside
    the caller's transaction: the staging table lives until it ends)."""

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
        #: Rows staged since the last flush.
        self.staged = 0
        self._empty = False  # the staging table exists and holds no row of an old batch
        self._sequence: str | None = None

    @contextmanager
    def checked_per_batch(self) -> Iterator[None]:
        """The foreign keys of events and versions checked at the end of each batch's
        statement instead of at commit (they are deferred): the same checks, but each
        locks an event row while its page is still in shared buffers; at commit, a
        million of them read the whole table back and wrote it again (issue 18: 12 s of
        a million-row import). Deferred again afterwards, for the rest of the caller's
        transaction; an error rolls the savepoint back, which restores it too."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conname FROM pg_constraint WHERE contype = 'f' AND condeferrable "
                "AND conrelid IN ('catalog_event'::regclass, 'catalog_eventversion'::regclass) ORDER BY 1"
            )
            names = ", ".join(connection.ops.quote_name(name) for (name,) in cursor.fetchall())
            if names:
                cursor.execute(f"SET CONSTRAINTS {names} IMMEDIATE")
        yield
        if names:
            with connection.cursor() as cursor:
                cursor.execute(f"SET CONSTRAINTS {names} DEFERRED")

    def begin(self) -> None:
        """Make sure the staging table is there and empty before a batch's first row."""
        if self._empty or self.staged:
            return
        with connection.cursor() as cursor:
            cursor.execute(_CREATE_STAGE_SQL)
            cursor.execute(f"TRUNCATE {STAGE}")
        self._empty = True

    def added(self, count: int) -> None:
        """``count`` rows were staged (by this class or the CSV fast path)."""
        self.staged += count
        if count:
            self._empty = False

    def stage_solutions(self, rows: list[tuple[int, Solution, str]]) -> None:
        """Stage (key, solution, raw text) rows parsed in Python: binary COPY, public ids here."""
        if not rows:
            return
        self.begin()
        code = self.bureau.code
        with connection.cursor() as cursor, cursor.cursor.copy(_COPY_STAGE_SQL) as copy:
            copy.set_types([kind for _, kind in STAGE_COLUMNS])
            write = copy.write_row
            for key, s, text in rows:
                write(
                    (
                        key, make_public_id(code, s.origin_time, s.latitude, s.longitude), s.external_id,
                        s.origin_time, s.latitude, s.longitude, s.depth_km, s.magnitude, s.magnitude_type,
                        s.location_name, s.source, s.event_type, s.status, s.report_kind, s.strike, s.dip,
                        s.rake, text,
                    )
                )  # fmt: skip
        self.added(len(rows))

    def flush(self) -> None:
        """Write the staged rows: new events, new versions of stored ones; empties the batch."""
        if not self.staged:
            return
        with connection.cursor() as cursor:
            # No ANALYZE of the staging table (50 ms a batch): the match walks the time index
            # per staged row (LATERAL), the one plan there is, and the planner counts the
            # rows from the table's size.
            cursor.execute(
                f"SELECT DISTINCT external_id FROM {STAGE} WHERE external_id <> '' ORDER BY 1"  # noqa: S608 - a constant
            )
            external = [value for (value,) in cursor.fetchall()]
            cursor.execute(
                _MATCH_SQL,
                {
                    "bureau": self.bureau.pk,
                    "external": external,
                    "seconds": self.seconds,
                    "metres": self.km * 1000.0,
                },
            )
            matches: dict[int, int] = dict(cursor.fetchall())
            # Rows sharing an external id are counted only where the batch has any: the count
            # is a second sort of the batch (a third of this statement for a file without ids).
            sharing = "count(*) OVER (PARTITION BY u.external_id)" if external else "1"
            cursor.execute(
                _FOLD_CANDIDATES_SQL.format(sharing=sharing),
                {"matched": list(matches), "seconds": self.seconds},
            )
            folded = self._fold_within_batch(cursor.fetchall())
        # A later row of the same event in this batch replaces the first one's values.
        source: dict[int, int] = {}
        for later, first in folded.items():
            source[first] = later
            self.summary.updated += 1
        touched = self._insert(skip=[*matches, *folded], sources=source)
        if matches:
            touched += self._update(matches)
        # Written in bulk, so no save signal indexes them (portal.search): a task does, once
        # the import commits.
        search_services.index_ids_after_commit("event", touched)
        self.staged = 0
        self._empty = False

    def _fold_within_batch(self, candidates: list[tuple[int, datetime, float, float, str]]) -> dict[int, int]:
        """Candidates (in time order) that duplicate an earlier one of the batch: later -> first,
        in the order they were found (the order the values are applied in)."""
        firsts: list[int] = []
        folded: dict[int, int] = {}
        by_external: dict[str, int] = {}
        window = timedelta(seconds=self.seconds)
        rows = {idx: (when, (lat, lon), external) for idx, when, lat, lon, external in candidates}
        order = [idx for idx, *_rest in candidates]
        for position, index in enumerate(order):
            when, where, external = rows[index]
            target = by_external.get(external) if external else None
            back = position - 1
            while target is None and back >= 0:
                other = order[back]
                if when - rows[other][0] > window:
                    break
                if other not in folded and _distance_km(where, rows[other][1]) <= self.km:
                    target = other
                back -= 1
            if target is None:
                firsts.append(index)
                if external:
                    by_external[external] = index
            else:
                folded[index] = target
        return folded

    def _sequence_name(self) -> str:
        if self._sequence is None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_get_serial_sequence('catalog_event', 'id')")
                self._sequence = cursor.fetchone()[0]
        return self._sequence

    def _insert(self, *, skip: list[int], sources: dict[int, int]) -> list[int]:
        """The new events and their first versions, from the staging table in one statement.

        Every staged row not in ``skip`` (matched to a stored event, or folded into an
        earlier row) becomes an event; ``sources`` names, for a first row that others
        folded into, the row whose values it takes. (Before issue 18: arrays through
        ``unnest``, two statements; the ORM's bulk_create before that.)
        """
        with connection.cursor() as cursor:
            cursor.execute(
                _INSERT_SQL.format(pick=_PICK_FOLDED if sources else _PICK_ROWS),
                {
                    "skip": skip,
                    "folded_firsts": list(sources),
                    "folded_sources": list(sources.values()),
                    "sequence": self._sequence_name(),
                    "bureau": self.bureau.pk,
                    "publish": self.publish,
                    "data_origin": self.data_origin,
                    "user": self.user.pk if self.user else None,
                    "live_after": self.live_after,
                },
            )
            inserted, live = cursor.fetchone()
        self.summary.inserted += len(inserted)
        self.live += [(pk, True) for pk in live]
        return list(inserted)

    def _matched_solutions(self, indexes: list[int]) -> dict[int, tuple[Solution, str]]:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT idx, {_SOLUTION_COLUMNS}, raw_text FROM {STAGE} WHERE idx = ANY(%s::int[])",  # noqa: S608 - constants
                [indexes],
            )
            return {
                idx: (
                    Solution(
                        origin_time=t, latitude=lat, longitude=lon, depth_km=depth, magnitude=mag,
                        magnitude_type=mt, location_name=name, source=source, status=status,
                        report_kind=kind, strike=strike, dip=dip, rake=rake, event_type=event_type,
                        external_id=external,
                    ),
                    raw,
                )
                for (
                    idx, t, lat, lon, depth, mag, mt, name, source, status, kind, strike, dip, rake,
                    event_type, external, raw,
                ) in cursor.fetchall()
            }  # fmt: skip

    def _update(self, matches: dict[int, int]) -> list[int]:
        """Matched rows that change their event: a new version each; returns the events changed."""
        staged = self._matched_solutions(list(matches))
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
        for index in sorted(matches, key=lambda i: staged[i][0].origin_time):
            event = events[matches[index]]
            solution, raw = staged[index]
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
                    raw_text=raw,
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
