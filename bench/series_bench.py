"""Observation series storage benchmark (issue 12): which PostgreSQL layout for ~3 billion
minute samples a year.

Usage (from the repository root):

    .venv/bin/python bench/series_bench.py [--channels 50] [--days 365]

On a database of its own (``ispec_series_bench``, dropped at the end) it loads the same
synthetic samples (minute sampling, ~1 % gaps, values quantised like real instruments: tides
in water level at 0.1 mm, geomagnetic field at 0.1 nT, radon at 0.1 Bq/L, tilt at
0.001 ms) in three layouts and prints, side by side:

(a) ``COPY`` (binary, numpy-built rows) into a plain ``(channel, time, value)`` table with no
    index: the limit for ingest. Then a btree (channel, time) is added to read from it.
(b) one row per channel and day, the day's samples as a ``real[]`` (NULL elements for gaps)
    built in numpy and sent with binary ``COPY``; TOAST compression pglz and, if the server
    has it, lz4 (two tables).
(c) a (channel, time, value) table partitioned by month, BRIN on (channel, time), loaded
    with the same binary ``COPY``.

Figures: ingest samples/s (wall time of the COPY, building the payload included), bytes on
disk per sample (``pg_total_relation_size`` over every partition / samples stored), and the
median of 5 reads of one channel's whole year at minute resolution (all values into a numpy
array) and at hour resolution (hour means computed where it is cheapest for the layout).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from observations.series_codec import (  # noqa: E402
    COPY_HEADER,
    COPY_TRAILER,
    decode_float4_array_send,
    encode_day_rows,
    encode_sample_rows,
)

DB = "ispec_series_bench"
ADMIN_DSN = os.environ.get("BENCH_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
BENCH_DSN = ADMIN_DSN.rsplit("/", 1)[0] + f"/{DB}"
START = dt.date(2025, 1, 1)
PER_DAY = 1440


def synthetic(channel: int, days: int) -> np.ndarray:
    """A channel's samples (days × 1440 float32, NaN for gaps), deterministic per channel."""
    rng = np.random.default_rng(channel)
    t = np.arange(days * PER_DAY, dtype=np.float64) * 60.0
    kind = channel % 4
    hours = t / 3600.0
    if kind == 0:  # water level, m: M2 + O1 tides, slow trend, 0.1 mm resolution
        v = -12.5 + 0.03 * np.sin(2 * np.pi * hours / 12.4206) + 0.01 * np.sin(2 * np.pi * hours / 25.8193)
        v += 0.0005 * rng.standard_normal(t.size)
        v = np.round(v, 4)
    elif kind == 1:  # geomagnetic H, nT: diurnal variation, 0.1 nT resolution
        v = 38000 + 20 * np.sin(2 * np.pi * hours / 24.0) + 0.3 * rng.standard_normal(t.size)
        v = np.round(v, 1)
    elif kind == 2:  # radon, Bq/L: seasonal cycle, noisy, 0.1 resolution
        v = 30 + 5 * np.sin(2 * np.pi * hours / 8766.0) + 2 * rng.standard_normal(t.size)
        v = np.round(v, 1)
    else:  # tilt, ms: annual cycle, 0.001 resolution
        v = 2 * np.sin(2 * np.pi * hours / 8766.0) + 0.01 * rng.standard_normal(t.size)
        v = np.round(v, 3)
    v = v.astype(np.float32)
    gaps = rng.random(t.size // 60) < 0.01  # ~1 % of hours missing
    v[np.repeat(gaps, 60)[: v.size]] = np.nan
    return v.reshape(days, PER_DAY)


def timed(fn, repeat: int = 5) -> float:
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - t0) * 1000)
    return statistics.median(runs)


def size_of(cur, table: str) -> int:
    cur.execute(
        "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
        "WHERE c.relname = %s OR c.oid IN (SELECT inhrelid FROM pg_inherits i JOIN pg_class p "
        "ON p.oid = i.inhparent WHERE p.relname = %s)",
        [table, table],
    )
    return int(cur.fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--channels", type=int, default=50)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    channels, days = args.channels, args.days

    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DB}")
        admin.execute(f"CREATE DATABASE {DB}")
    try:
        run(channels, days)
    finally:
        with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {DB}")


def run(channels: int, days: int) -> None:
    t0 = time.perf_counter()
    data = {c: synthetic(c, days) for c in range(1, channels + 1)}
    samples = sum(int((~np.isnan(v)).sum()) for v in data.values())
    slots = channels * days * PER_DAY
    print(
        f"scale: {channels} channels x {days} days x {PER_DAY}/day = {slots:,} slots, "
        f"{samples:,} samples present ({slots - samples:,} gaps); generated in {time.perf_counter() - t0:.1f} s"
    )
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    day0 = np.datetime64(START.isoformat(), "s").astype(np.int64)
    base_seconds = day0 + np.arange(days * PER_DAY, dtype=np.int64) * 60

    conn = psycopg.connect(BENCH_DSN, autocommit=True)
    cur = conn.cursor()
    cur.execute("SHOW server_version")
    print("PostgreSQL", cur.fetchone()[0])
    lz4 = True
    try:
        cur.execute("CREATE TABLE probe (a text COMPRESSION lz4)")
        cur.execute("DROP TABLE probe")
    except psycopg.Error:
        lz4 = False
    results: dict[str, dict[str, float]] = {}

    # (a) plain table, binary COPY, no index
    cur.execute("CREATE UNLOGGED TABLE IF NOT EXISTS warm (x int)")  # connection warm-up
    cur.execute("CREATE TABLE plain (channel int4 NOT NULL, time timestamptz NOT NULL, value real NOT NULL)")
    t0 = time.perf_counter()
    with conn.transaction(), cur.copy("COPY plain FROM STDIN (FORMAT binary)") as copy:
        copy.write(COPY_HEADER)
        for c, v in data.items():
            flat = v.ravel()
            present = ~np.isnan(flat)
            copy.write(encode_sample_rows(c, base_seconds[present], flat[present]))
        copy.write(COPY_TRAILER)
    ingest = time.perf_counter() - t0
    cur.execute("VACUUM ANALYZE plain")
    heap = size_of(cur, "plain")
    cur.execute("CREATE INDEX plain_channel_time ON plain (channel, time)")
    cur.execute("VACUUM ANALYZE plain")
    total = size_of(cur, "plain")
    results["(a) plain table, COPY"] = {
        "ingest": samples / ingest,
        "bytes": heap / samples,
        "bytes_indexed": total / samples,
    }
    year_start = dt.datetime(START.year, START.month, START.day, tzinfo=dt.UTC)
    year_end = year_start + dt.timedelta(days=days)
    mid = channels // 2 + 1

    def read_rows_minute(table: str) -> None:
        with conn.cursor(binary=True) as c2:
            c2.execute(
                f"SELECT time, value FROM {table} WHERE channel = %s AND time >= %s AND time < %s ORDER BY time",
                [mid, year_start, year_end],
            )
            out = np.full(days * PER_DAY, np.nan, dtype=np.float32)
            rows = c2.fetchall()
            idx = np.array([(r[0] - year_start).total_seconds() // 60 for r in rows], dtype=np.int64)
            out[idx] = np.array([r[1] for r in rows], dtype=np.float32)

    def read_rows_hour(table: str) -> None:
        with conn.cursor() as c2:
            c2.execute(
                f"SELECT date_trunc('hour', time) h, avg(value) FROM {table} "
                "WHERE channel = %s AND time >= %s AND time < %s GROUP BY 1 ORDER BY 1",
                [mid, year_start, year_end],
            )
            c2.fetchall()

    results["(a) plain table, COPY"]["read_min"] = timed(lambda: read_rows_minute("plain"))
    results["(a) plain table, COPY"]["read_hour"] = timed(lambda: read_rows_hour("plain"))

    # (b) day arrays
    variants = [("pglz", "pglz")] + ([("lz4", "lz4")] if lz4 else [])
    for name, method in variants:
        table = f"days_{name}"
        cur.execute(
            f"CREATE TABLE {table} (id bigserial PRIMARY KEY, channel_id int8 NOT NULL, day date NOT NULL, "
            f"values real[] COMPRESSION {method} NOT NULL, n_present int4 NOT NULL, "
            "min real, max real, sum float8, UNIQUE (channel_id, day))"
        )
        cur.execute(f"ALTER TABLE {table} ALTER COLUMN values SET STORAGE EXTENDED")
        t0 = time.perf_counter()
        with (
            conn.transaction(),
            cur.copy(
                f"COPY {table} (channel_id, day, values, n_present, min, max, sum) FROM STDIN (FORMAT binary)"
            ) as copy,
        ):
            for c, v in data.items():
                rows = [(c, START + dt.timedelta(days=d), v[d]) for d in range(days)]
                payload = encode_day_rows(rows)
                # one header and trailer per COPY: strip the inner ones
                copy.write(
                    payload[: len(payload) - 2] if c == 1 else payload[len(COPY_HEADER) : len(payload) - 2]
                )
            copy.write(COPY_TRAILER)
        ingest = time.perf_counter() - t0
        cur.execute(f"VACUUM ANALYZE {table}")
        total = size_of(cur, table)

        def read_minute(table: str = table) -> np.ndarray:
            with conn.cursor() as c2:
                c2.execute(
                    f"SELECT day, array_send(array_replace(values, NULL, 'NaN'::real)) FROM {table} "
                    "WHERE channel_id = %s AND day >= %s AND day < %s ORDER BY day",
                    [mid, START, START + dt.timedelta(days=days)],
                )
                out = np.full((days, PER_DAY), np.nan, dtype=np.float32)
                for day, blob in c2.fetchall():
                    out[(day - START).days] = decode_float4_array_send(blob, PER_DAY)
                return out

        def read_hour(table: str = table) -> None:
            v = read_minute(table).reshape(days * 24, 60)
            with np.errstate(invalid="ignore"):
                counts = (~np.isnan(v)).sum(axis=1)
                means = np.where(
                    counts > 0, np.nansum(v, axis=1, dtype=np.float64) / np.maximum(counts, 1), np.nan
                )
            assert means.shape == (days * 24,)

        got = read_minute()
        assert np.array_equal(got, data[mid], equal_nan=True), "round trip"
        results[f"(b) day arrays real[], {name}"] = {
            "ingest": samples / ingest,
            "bytes": total / samples,
            "bytes_indexed": total / samples,
            "read_min": timed(read_minute),
            "read_hour": timed(read_hour),
        }

    # (c) monthly partitions + BRIN
    cur.execute(
        "CREATE TABLE part (channel int4 NOT NULL, time timestamptz NOT NULL, value real NOT NULL) PARTITION BY RANGE (time)"
    )
    month = dt.date(START.year, START.month, 1)
    end_date = START + dt.timedelta(days=days)
    while month < end_date:
        nxt = dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1)
        cur.execute(
            f"CREATE TABLE part_{month:%Y%m} PARTITION OF part FOR VALUES FROM ('{month}') TO ('{nxt}')"
        )
        month = nxt
    cur.execute("CREATE INDEX part_brin ON part USING brin (channel, time) WITH (pages_per_range = 16)")
    t0 = time.perf_counter()
    with conn.transaction(), cur.copy("COPY part FROM STDIN (FORMAT binary)") as copy:
        copy.write(COPY_HEADER)
        for c, v in data.items():
            flat = v.ravel()
            present = ~np.isnan(flat)
            copy.write(encode_sample_rows(c, base_seconds[present], flat[present]))
        copy.write(COPY_TRAILER)
    ingest = time.perf_counter() - t0
    cur.execute("VACUUM ANALYZE part")
    total = size_of(cur, "part")
    results["(c) monthly partitions + BRIN"] = {
        "ingest": samples / ingest,
        "bytes": total / samples,
        "bytes_indexed": total / samples,
        "read_min": timed(lambda: read_rows_minute("part")),
        "read_hour": timed(lambda: read_rows_hour("part")),
    }
    conn.close()

    print()
    print(
        f"{'layout':34} {'ingest samples/s':>17} {'B/sample':>9} {'B/sample+idx':>13} {'year@1min ms':>13} {'year@1h ms':>11}"
    )
    for name, r in results.items():
        print(
            f"{name:34} {r['ingest']:17,.0f} {r['bytes']:9.2f} {r['bytes_indexed']:13.2f} "
            f"{r['read_min']:13.1f} {r['read_hour']:11.1f}"
        )


if __name__ == "__main__":
    main()
