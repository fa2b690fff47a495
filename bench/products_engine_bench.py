"""End-to-end benchmark of the product engine (issue 6): a bvalue run over 1,000,000
events stored in PostGIS, through the engine (selection query + input hash +
compute + figures + storing the result), in a database of its own.

Run:  .venv/bin/python bench/products_engine_bench.py [--events 1000000]

Creates the database ispec_bench_products (dropped at the end), migrates it,
loads the events with COPY (not timed), then times ``products.services.execution.run_execute`` (the
code the ``products.run`` Celery task calls) for
  1. a box selection (the FDSN minlatitude/maxlatitude/... filter),
  2. the bureau's jurisdiction (``{"jurisdiction": true}``, ST_Intersects),
  3. the same request again (reused by input hash: read + hash, no compute),
with the time of each step from the run's provenance and the peak memory of
the process (tracemalloc peak of Python/numpy allocations, and ru_maxrss).
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DB = "ispec_bench_products"
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def load_events(n: int, bureau_id: int) -> None:
    from django.db import connection

    rng = np.random.default_rng(2026)
    lat = rng.uniform(24.6, 30.0, n)
    lon = rng.uniform(113.6, 118.4, n)
    mags = np.round(0.95 + rng.exponential(1.0 / np.log(10.0), n), 1)
    depth = rng.uniform(1, 30, n)
    t0 = np.datetime64("2016-01-01T00:00:00", "us")
    times = t0 + np.sort(rng.integers(0, 10 * 365 * 86400 * 10**6, n)).astype("timedelta64[us]")
    columns = (
        "bureau_id, public_id, external_id, origin_time, latitude, longitude, location, depth_km, magnitude, "
        "magnitude_type, location_name, source, event_type, status, report_kind, is_published, version, "
        "created_at, updated_at"
    )
    chunk = 100_000
    with connection.cursor() as cursor:
        for start in range(0, n, chunk):
            buf = io.StringIO()
            for i in range(start, min(n, start + chunk)):
                buf.write(
                    f"{bureau_id}\tbench-{i}\t\t{times[i]}Z\t{lat[i]:.5f}\t{lon[i]:.5f}\t"
                    f"SRID=4326;POINT({lon[i]:.5f} {lat[i]:.5f})\t{depth[i]:.2f}\t{mags[i]:.1f}\tML\t\tbench\t"
                    "earthquake\treviewed\tcatalog\tt\t1\tnow()\tnow()\n"
                )
            with cursor.cursor.copy(f"COPY catalog_event ({columns}) FROM STDIN") as copy:
                copy.write(buf.getvalue())
        cursor.execute("ANALYZE catalog_event")


def timed_run(actor, catalog, params=None, *, trace=False):  # type: ignore[no-untyped-def]
    """Execute one bvalue run; with ``trace`` the tracemalloc peak too (tracemalloc slows
    the row-by-row COPY loop several times, so traced runs are not timed)."""
    from products.services import execution as execution_services
    from products.services import runs as run_services

    run = run_services.run_create(
        actor=actor, method="bvalue", params=params or {}, catalog=catalog, enqueue=False
    )
    if trace:
        tracemalloc.start()
    t0 = time.perf_counter()
    run = execution_services.run_execute(bureau_id=run.bureau_id, run_id=run.pk, task_id=run.task_id)
    wall = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
    if trace:
        tracemalloc.stop()
    return run, wall, peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    media = tempfile.mkdtemp(prefix="ispec-bench-media-")
    os.environ.update(
        DATABASE_URL=f"postgis://postgres@127.0.0.1:5432/{DB}",
        DJANGO_SETTINGS_MODULE="portal.settings.test",
        PORTAL_MEDIA_ROOT=media,
        LOG_LEVEL="WARNING",
    )
    admin(f"DROP DATABASE IF EXISTS {DB}")
    admin(f"CREATE DATABASE {DB}")
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True, env=os.environ)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.contrib.gis.geos import MultiPolygon, Polygon

        from portal.models import Bureau, Membership, User
        from portal.tenancy import actor_for

        jx = Bureau.objects.create(
            code="JX",
            name_zh="江西省地震局",
            name_en="Jiangxi",
            kind="provincial",
            jurisdiction=MultiPolygon(Polygon.from_bbox((113.5, 24.5, 118.5, 30.1)), srid=4326),
        )
        user = User.objects.create_user(username="bench", password="bench-pass-123")
        Membership.objects.create(user=user, bureau=jx, role="forecaster")
        actor = actor_for(user, "JX")
        t0 = time.perf_counter()
        load_events(args.events, jx.pk)
        print(f"python {sys.version.split()[0]}, numpy {np.__version__}, {os.cpu_count()} CPUs")
        print(
            f"loaded {args.events:,} events with COPY in {time.perf_counter() - t0:.1f} s (not part of the figures)"
        )
        cases = (
            (
                "box selection",
                {"minlatitude": 24.5, "maxlatitude": 30.1, "minlongitude": 113.5, "maxlongitude": 118.5},
            ),
            ("jurisdiction (ST_Intersects; same rows, so reused)", {"jurisdiction": True}),
            (
                "box selection again (reused)",
                {"minlatitude": 24.5, "maxlatitude": 30.1, "minlongitude": 113.5, "maxlongitude": 118.5},
            ),
        )
        for label, catalog in cases:
            run, wall, _ = timed_run(actor, catalog)
            prov = run.provenance
            steps = (
                f"read {prov.get('input_read_s', 0):.2f} s (query + COPY + hash), "
                f"compute {prov.get('compute_s', 0):.3f} s, figures {prov.get('figures_s', 0):.2f} s"
                if not run.reused_from_id
                else f"read {prov.get('input_read_s', 0):.2f} s (query + COPY + hash), reused run #{run.reused_from_id}"
            )
            print(
                f"bvalue via engine, {label}: {run.input_count:,} events, {wall:.2f} s total ({steps}) "
                f"-> {run.status}, b = {run.result['b']:.4f}, Mc = {run.result['mc']}"
            )
        box = cases[0][1]
        run, _, peak = timed_run(actor, box, {"min_events": 51}, trace=True)
        print(
            f"  peak traced memory of a full run (read + hash + compute + PNG/SVG; min_events=51 so not "
            f"reused): {peak:.0f} MiB -> {run.status}"
        )
        # Where the read goes: the selection query alone, the COPY decode, the hash.
        from django.db import connection

        from products import inputs, selectors

        events = selectors.selection_events(bureau=jx, selection=box)
        sql, params = events.order_by().values_list("id").query.sql_with_params()
        with connection.cursor() as cursor:
            t0 = time.perf_counter()
            cursor.execute(f"SELECT count(*) FROM ({sql}) AS s", params)
            count = cursor.fetchone()[0]
            t_query = time.perf_counter() - t0
        t0 = time.perf_counter()
        rows = inputs.read_rows(events)
        t_copy = time.perf_counter() - t0
        t0 = time.perf_counter()
        rows.hash()
        t_hash = time.perf_counter() - t0
        print(
            f"  read breakdown (box): selection query alone (count) {t_query:.2f} s for {count:,} rows; "
            f"query + binary COPY + numpy decode {t_copy:.2f} s; sha256 of the rows {t_hash:.2f} s"
        )
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"process peak RSS (ru_maxrss, includes Django, matplotlib and the load step): {rss:.0f} MiB")
    finally:
        from django.db import connections

        connections.close_all()
        admin(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        shutil.rmtree(media, ignore_errors=True)


if __name__ == "__main__":
    main()
