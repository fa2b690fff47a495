"""EXPLAIN of the FDSN filters people use, as the service runs them (issue 18).

Usage (from the repository root, on a database holding a large catalog, e.g. the one
``bench/catalog_bench.py --keep`` leaves, or any other through DATABASE_URL):

    DATABASE_URL=postgis://postgres@127.0.0.1:5432/ispec_bench \\
        .venv/bin/python bench/catalog_explain.py [--repeats 5] [--plans]

Each case is the SQL of ``catalog.selectors.events_for_fdsn`` for a parsed FDSN query
(anonymous reader: published, not deleted), paged as the service pages it, with the
columns the writers read. Prints, per case, the median ``Execution Time`` of
``EXPLAIN (ANALYZE, BUFFERS)`` over the repeats, the rows and the indexes the plan
used; ``--plans`` prints the whole plans.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")

#: name -> FDSN parameters (limit 1000 unless said). The catalog of bench/catalog_bench.py:
#: 10 years from 2015, China's box, Gutenberg-Richter magnitudes from 1.5.
CASES: dict[str, dict[str, str]] = {
    "time+box": {
        "starttime": "2018-01-01",
        "endtime": "2020-01-01",
        "minlatitude": "20",
        "maxlatitude": "40",
        "minlongitude": "95",
        "maxlongitude": "115",
    },
    "time+box+minmag3 (the bench query)": {
        "starttime": "2018-01-01",
        "endtime": "2020-01-01",
        "minlatitude": "20",
        "maxlatitude": "40",
        "minlongitude": "95",
        "maxlongitude": "115",
        "minmagnitude": "3",
    },
    "box+minmag5 (all time)": {
        "minlatitude": "20",
        "maxlatitude": "40",
        "minlongitude": "95",
        "maxlongitude": "115",
        "minmagnitude": "5",
    },
    "minmag4 (all time, anywhere)": {"minmagnitude": "4"},
    "radius 1 deg + time": {
        "latitude": "30",
        "longitude": "103",
        "maxradius": "1",
        "starttime": "2016-01-01",
        "endtime": "2024-01-01",
    },
    "radius 0.5 deg (all time)": {"latitude": "30", "longitude": "103", "maxradius": "0.5"},
    "eventid": {"eventid": "b500000"},
    "updatedafter (last 2 h)": {"updatedafter": "__RECENT__"},
    "recent day (time only)": {"starttime": "2024-12-01", "endtime": "2024-12-02"},
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--plans", action="store_true")
    args = parser.parse_args()
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from catalog.fdsn_params import parse_fdsn_query
    from catalog.formats import ROW_FIELDS
    from catalog.selectors import events_for_fdsn

    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        workers = cursor.fetchone()[0]
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'catalog_event' ORDER BY indexname"
        )
        indexes = [r[0] for r in cursor.fetchall()]
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'catalog_event'")
        rows = cursor.fetchone()[0]
    print(f"catalog_event: ~{rows:,} rows; max_parallel_workers_per_gather={workers}")
    print(f"indexes: {', '.join(indexes)}")
    recent = (timezone.now() - timezone.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S")
    for name, params in CASES.items():
        params = {k: (recent if v == "__RECENT__" else v) for k, v in params.items()}
        query = parse_fdsn_query({**{k: [v] for k, v in params.items()}, "limit": ["1000"]})
        qs = events_for_fdsn(actor=None, query=query)[:1000].values_list(*ROW_FIELDS)
        sql, sql_params = qs.query.sql_with_params()
        times, plan = [], None
        with connection.cursor() as cursor:
            for _ in range(args.repeats + 1):
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, sql_params)
                result = cursor.fetchone()[0]
                plan = result[0] if isinstance(result, list) else json.loads(result)[0]
                times.append(plan["Execution Time"])
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, sql_params)
            text = "\n".join(r[0] for r in cursor.fetchall())
        used = sorted(
            set(re.findall(r"(?:Index|Index Only|Bitmap Index) Scan (?:Backward )?(?:using|on) (\w+)", text))
        )
        returned = plan["Plan"]["Actual Rows"]
        print(
            f"{name:38} median {statistics.median(times[1:]):8.1f} ms  rows {returned:5}  "
            f"indexes: {', '.join(used) or 'none (seq scan)'}"
        )
        if args.plans:
            print(text)
            print()


if __name__ == "__main__":
    main()
