"""Could PostgreSQL write the FDSN text lines itself? The COPY of the nine columns (the limit
of ``catalog_bench.py``) beside the COPY of the same rows written as FDSN text lines by the
database (``concat_ws``, ``to_char``), interleaved, medians.

The lines here are a lower bound of what such SQL would cost: they leave out what the
Python writer does besides (a ``|`` or a line break inside a value, whitespace at its ends,
``3`` printed as ``3.0``, a whole second without its fraction, the magnitude columns empty
when there is no magnitude). Whatever the database spends on them is time the rest of the
service no longer has within the 2x goal (issue 18).

Usage, on a catalog a ``catalog_bench.py --keep`` run left:

    .venv/bin/python bench/fdsn_sql_lines.py --db ispec_b18 [--rounds 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from catalog_bench import SQL, copy_statement, interleaved, load  # the catalog bench's limit and helpers

WHERE = SQL.split("FROM catalog_event", 1)[1]
LINES = (
    "SELECT concat_ws('|', public_id, "
    "to_char(origin_time AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), latitude, longitude, "
    "depth_km, coalesce(nullif(source, ''), 'BENCH'), 'BENCH', 'BENCH', public_id, magnitude_type, "
    "magnitude, coalesce(nullif(source, ''), 'BENCH'), location_name) FROM catalog_event" + WHERE
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="ispec_bench", help="a catalog left by catalog_bench.py --keep")
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{args.db}", autocommit=True) as conn:
        times = interleaved(
            {"nine columns": copy_statement(conn, SQL), "lines": copy_statement(conn, LINES)}, args.rounds
        )
    nine, lines = (statistics.median(times[name]) for name in ("nine columns", "lines"))
    print(f"COPY of the nine columns (the limit): median {nine * 1000:.2f} ms")
    print(f"COPY of the same rows as FDSN text lines written by PostgreSQL: median {lines * 1000:.2f} ms")
    print(
        f"lines / limit {lines / nine:.2f}: {2 - lines / nine:.2f}x the limit ({(2 * nine - lines) * 1000:.2f} ms) "
        f"left for the request, the ORM and the server within the 2x goal; {load()}"
    )


if __name__ == "__main__":
    main()
