"""Binary encoding of day rows for ``COPY … FROM STDIN (FORMAT binary)`` and decoding of
``array_send`` results, vectorised with numpy.

Pure numpy, no Django: ``bench/series_bench.py`` measures this very code.

A day row is ``(channel_id int8, day date, values real[], n_present int4, min real,
max real, sum float8)``. ``values`` holds ``86400 / interval`` samples; NaN in the numpy
array becomes a NULL element (a gap), never a zero.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

PG_EPOCH_DATE = dt.date(2000, 1, 1)
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
COPY_TRAILER = b"\xff\xff"
FLOAT4_OID = 700


def encode_float4_array(values: np.ndarray) -> bytes:
    """The binary form of a one-dimensional ``real[]`` (NaN → NULL element)."""
    v = np.asarray(values, dtype=">f4")
    n = v.shape[0]
    missing = np.isnan(v)
    has_null = bool(missing.any())
    header = np.array([1, 1 if has_null else 0, FLOAT4_OID, n, 1], dtype=">i4").tobytes()
    # each element: int32 length (4, or -1 for NULL) then 4 data bytes unless NULL
    cells = np.empty((n, 2), dtype=">i4")
    cells[:, 0] = np.where(missing, -1, 4)
    cells[:, 1] = v.view(">i4")
    if not has_null:
        return header + cells.tobytes()
    raw = cells.view(np.uint8).reshape(n, 8)
    keep = np.ones((n, 8), dtype=bool)
    keep[missing, 4:] = False
    return header + raw[keep].tobytes()


def decode_float4_array_send(blob: bytes, length: int) -> np.ndarray:
    """Decode ``array_send(array_replace(values, NULL, 'NaN'))``: no NULLs, 8 bytes a cell."""
    if not blob:
        return np.full(length, np.nan, dtype=np.float32)
    ndim = int.from_bytes(blob[0:4], "big")
    if ndim == 0:
        return np.full(length, np.nan, dtype=np.float32)
    n = int.from_bytes(blob[12:16], "big")
    cells = np.frombuffer(blob, dtype=">i4", offset=20, count=2 * n).reshape(n, 2)
    out = cells[:, 1].copy().view(">f4").astype(np.float32)
    out[cells[:, 0] < 0] = np.nan
    if n < length:
        out = np.concatenate([out, np.full(length - n, np.nan, dtype=np.float32)])
    return out[:length]


def day_stats(values: np.ndarray) -> tuple[int, float | None, float | None, float | None]:
    """(n_present, min, max, sum) of a day's float32 samples, NaN being gaps."""
    v = np.asarray(values, dtype=np.float32)
    present = v[~np.isnan(v)]
    if present.size == 0:
        return 0, None, None, None
    return (
        int(present.size),
        float(present.min()),
        float(present.max()),
        float(present.astype(np.float64).sum()),
    )


def _field(payload: bytes) -> bytes:
    return len(payload).to_bytes(4, "big", signed=True) + payload


_NULL = (-1).to_bytes(4, "big", signed=True)


def _timestamp(stamp: dt.datetime) -> bytes:
    micros = int((stamp - dt.datetime(2000, 1, 1, tzinfo=dt.UTC)).total_seconds() * 1_000_000)
    return _field(micros.to_bytes(8, "big", signed=True))


def encode_day_rows(
    rows: list[tuple[int, dt.date, np.ndarray]],
    *,
    bureau_id: int | None = None,
    stamp: dt.datetime | None = None,
) -> bytes:
    """A whole binary COPY payload for day rows: columns (channel_id, day, values, n_present,
    min, max, sum), preceded by bureau_id and followed by (created_at, updated_at) when
    ``bureau_id`` and ``stamp`` are given."""
    prefix = _field(int(bureau_id).to_bytes(8, "big", signed=True)) if bureau_id is not None else b""
    suffix = _timestamp(stamp) * 2 if stamp is not None else b""
    nfields = 7 + (1 if prefix else 0) + (2 if suffix else 0)
    parts = [COPY_HEADER]
    for channel_id, day, values in rows:
        n, vmin, vmax, vsum = day_stats(values)
        parts.append(
            b"".join(
                [
                    nfields.to_bytes(2, "big"),
                    prefix,
                    _field(int(channel_id).to_bytes(8, "big", signed=True)),
                    _field((day - PG_EPOCH_DATE).days.to_bytes(4, "big", signed=True)),
                    _field(encode_float4_array(values)),
                    _field(n.to_bytes(4, "big", signed=True)),
                    _NULL if vmin is None else _field(np.array(vmin, dtype=">f4").tobytes()),
                    _NULL if vmax is None else _field(np.array(vmax, dtype=">f4").tobytes()),
                    _NULL if vsum is None else _field(np.array(vsum, dtype=">f8").tobytes()),
                    suffix,
                ]
            )
        )
    parts.append(COPY_TRAILER)
    return b"".join(parts)


PG_EPOCH_US = 946684800 * 1_000_000  # 2000-01-01T00:00Z in Unix microseconds

SAMPLE_ROW = np.dtype(
    [
        ("nfields", ">i2"),
        ("l1", ">i4"),
        ("channel", ">i4"),
        ("l2", ">i4"),
        ("time", ">i8"),
        ("l3", ">i4"),
        ("value", ">f4"),
    ]
)


def encode_sample_rows(channel_id: int, unix_seconds: np.ndarray, values: np.ndarray) -> bytes:
    """Binary COPY rows (no header) for a (channel int4, time timestamptz, value real) table:
    the fastest a client can feed PostgreSQL one row per sample (the bench's limit)."""
    rows = np.empty(len(values), dtype=SAMPLE_ROW)
    rows["nfields"] = 3
    rows["l1"] = 4
    rows["channel"] = channel_id
    rows["l2"] = 8
    rows["time"] = unix_seconds.astype(np.int64) * 1_000_000 - PG_EPOCH_US
    rows["l3"] = 4
    rows["value"] = values
    return rows.tobytes()
