"""Quality-control benchmark (issue 12): channel-days checked per second, over the demo's
stations and channels (JX and NM) with 13 months of the demo's minute series.

Run:  .venv/bin/python bench/qc_bench.py [--months 13] [--keep]

Creates the database ispec_bench_qc (dropped at the end unless --keep), migrates it, makes
the bureaus and the demo's stations and channels (``observations.demo``), loads the demo
series (``observations.series_demo.seed(qc="skip")``, not timed), then times, in this process:

* the checks alone (``qc_checks.check_series`` over each channel's whole array, no database);
* the whole run (``services.qc_run.qc_check_days`` per channel: reading the samples and the
  daily sums, the checks, writing the QcDay rows and their flags), first run (every row
  new) and a re-run (every row there, flags unchanged).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DB = "ispec_bench_qc"
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--months", type=int, default=13)
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    args = parser.parse_args()
    os.environ.update(
        DATABASE_URL=f"postgis://postgres@127.0.0.1:5432/{DB}",
        DJANGO_SETTINGS_MODULE="portal.settings.test",
        PORTAL_MEDIA_ROOT=tempfile.mkdtemp(prefix="ispec-bench-media-"),
        LOG_LEVEL="WARNING",
    )
    admin(f"DROP DATABASE IF EXISTS {DB}")
    admin(f"CREATE DATABASE {DB}")
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True, env=os.environ)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        import numpy as np

        from observations import demo, qc_checks, series_demo
        from observations.models import Channel, QcDay, QcFlag
        from observations.series_selectors import series_samples
        from observations.services.qc_run import qc_check_days
        from portal.demo import load_bureaus
        from portal.models import Bureau
        from portal.tenancy import bureau_reader

        load_bureaus()
        for code, rows in demo.STATIONS.items():
            bureau = Bureau.objects.get(code=code)
            for row in rows:
                demo._channels(bureau, demo._station(bureau, row))
        today = dt.date(2026, 11, 30)
        loaded = series_demo.seed(today=today, months=args.months, qc="skip")
        channels = list(Channel.objects.filter(interval=60).select_related("bureau", "station", "item"))
        end = dt.datetime(today.year, today.month, today.day, tzinfo=dt.UTC)
        start = end - dt.timedelta(days=round(args.months * 30.44))
        days = (end - start).days
        print(f"{len(channels)} channels x {days} days of minute samples ({loaded['samples']:,} samples)")

        arrays = [
            series_samples(actor=bureau_reader(c.bureau), channel=c, start=start, end=end) for c in channels
        ]
        t = time.perf_counter()
        for values in arrays:
            qc_checks.check_series(values, interval=60, now_index=values.size)
        pure = time.perf_counter() - t
        print(f"checks alone:      {len(channels) * days / pure:8.0f} channel-days/s ({pure:.2f} s)")
        now = end - dt.timedelta(seconds=1)
        for label in ("run, rows new:   ", "run, rows there: "):
            t = time.perf_counter()
            for channel in channels:
                qc_check_days(channel, start.date(), (end - dt.timedelta(days=1)).date(), now=now)
            took = time.perf_counter() - t
            print(f"{label} {len(channels) * days / took:8.0f} channel-days/s ({took:.2f} s)")
        print(
            f"{QcDay.objects.count()} QC days, {QcDay.objects.filter(flagged=True).count()} flagged, "
            f"{QcFlag.objects.count()} flags; {np.mean([a.size for a in arrays]):.0f} samples a channel"
        )
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            admin(f"DROP DATABASE IF EXISTS {DB}")


if __name__ == "__main__":
    main()
