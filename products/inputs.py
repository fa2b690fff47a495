"""Reading a catalog selection into arrays, and the hash of the exact input rows.

The rows are read with one ``COPY (...) TO STDOUT (FORMAT BINARY)`` of six
8-byte columns (id, origin time, latitude, longitude, depth, magnitude) and
decoded by numpy in one step: building a million Python tuples through the ORM
would cost seconds and hundreds of megabytes; this costs a fraction of that.
Missing depths and magnitudes come through as NaN.

``rows_hash``: sha256 over the rows sorted by id, each row written as six
little-endian 8-byte values: id (int64), origin time (int64 microseconds since
1970-01-01 UTC), latitude, longitude, depth_km, magnitude (float64, NaN where
unknown). The same events with the same values always give the same hash,
whatever the selection that found them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db import connection

if TYPE_CHECKING:
    from django.db.models import QuerySet

# PostgreSQL's binary timestamps count microseconds from 2000-01-01 UTC.
PG_EPOCH_US = 946_684_800 * 1_000_000
COLUMNS = ("id", "t", "lat", "lon", "depth", "mag")
_WIRE = np.dtype(
    [("n", ">i2")]
    + [
        item
        for name, kind in zip(COLUMNS, ("i8", "i8", "f8", "f8", "f8", "f8"), strict=True)
        for item in ((f"len_{name}", ">i4"), (name, ">" + kind))
    ]
)
_CANONICAL = np.dtype(
    [(name, "<" + kind) for name, kind in zip(COLUMNS, ("i8", "i8", "f8", "f8", "f8", "f8"), strict=True)]
)
SIGNATURE = b"PGCOPY\n\xff\r\n\x00"


@dataclass
class EventRows:
    ids: np.ndarray
    times: np.ndarray  # datetime64[us], UTC
    lat: np.ndarray
    lon: np.ndarray
    depth: np.ndarray
    magnitudes: np.ndarray

    def __len__(self) -> int:
        return int(self.ids.size)

    def as_inputs(self) -> dict[str, Any]:
        """The arrays by the names the methods take (see registry.Method.input_fields)."""
        return {
            "magnitudes": self.magnitudes,
            "times": self.times,
            "lat": self.lat,
            "lon": self.lon,
            "depth": self.depth,
        }

    def hash(self) -> str:
        return rows_hash(self)


def _decode(payload: bytes) -> np.ndarray:
    if not payload.startswith(SIGNATURE):
        raise ValueError("not a PostgreSQL binary COPY stream")
    ext = int.from_bytes(payload[15:19], "big")
    body = memoryview(payload)[19 + ext : len(payload) - 2]
    if len(body) % _WIRE.itemsize:
        raise ValueError("unexpected row size in the COPY stream (a NULL in a column?)")
    return np.frombuffer(body, dtype=_WIRE)


def read_rows(events: QuerySet) -> EventRows:
    """The selected events as arrays, sorted by id (one query)."""
    inner = events.order_by().values_list(
        "id", "origin_time", "latitude", "longitude", "depth_km", "magnitude"
    )
    sql, params = inner.query.sql_with_params()
    # origin_time goes out as is: a binary timestamptz is already an int64 count of
    # microseconds (since 2000-01-01), so no per-row arithmetic in the database.
    # sql is Django's own compiled query with %s placeholders; every value stays in params
    # (bound by psycopg), so nothing from a user is interpolated here.
    statement = (
        "COPY (SELECT s.id::int8, s.origin_time, "  # noqa: S608
        "coalesce(s.latitude::float8, 'NaN'), coalesce(s.longitude::float8, 'NaN'), "
        "coalesce(s.depth_km::float8, 'NaN'), coalesce(s.magnitude::float8, 'NaN') "
        f"FROM ({sql}) AS s ORDER BY s.id) TO STDOUT (FORMAT BINARY)"
    )
    payload = bytearray()
    with connection.cursor() as cursor, cursor.cursor.copy(statement, params) as copy:
        for block in copy:  # libpq hands COPY data over one row at a time
            payload += block
    rows = _decode(bytes(payload))
    return EventRows(
        ids=rows["id"].astype(np.int64),
        times=(rows["t"].astype(np.int64) + PG_EPOCH_US).astype("datetime64[us]"),
        lat=rows["lat"].astype(np.float64),
        lon=rows["lon"].astype(np.float64),
        depth=rows["depth"].astype(np.float64),
        magnitudes=rows["mag"].astype(np.float64),
    )


def rows_hash(rows: EventRows) -> str:
    order = np.argsort(rows.ids, kind="stable")
    table = np.empty(len(rows), dtype=_CANONICAL)
    table["id"] = rows.ids[order]
    table["t"] = rows.times[order].astype("datetime64[us]").astype(np.int64)
    table["lat"] = rows.lat[order]
    table["lon"] = rows.lon[order]
    table["depth"] = rows.depth[order]
    table["mag"] = rows.magnitudes[order]
    return hashlib.sha256(table.tobytes()).hexdigest()
