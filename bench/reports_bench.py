"""Benchmark of the emergency special-topic report (issue 3): from the quick-report POST to
the report being ready, with a real Celery worker, in a database of its own.

Run:  .venv/bin/python bench/reports_bench.py [--runs 5] [--history 100000]

Creates the database ispec_bench_reports (dropped at the end), migrates it, loads
(not timed) the bureaus, the whole gazetteer (~24,000 towns), ``--history`` published
historical events over Jiangxi and neighbours and four GIS layers of JX (5,000
features), starts a Celery worker (solo pool) on a queue of its own, then for each
run POSTs a new JX quick-report SMS to /api/v1/quick-reports/ (in-process API
client; the task catalog.event_arrived decides, reports.topic_report_for_event queues the
build) and waits until the
TopicReport is ready. Prints per run: POST -> ready wall time, the report's own
event-received -> ready time, and the worker's breakdown (queries, maps, PDF).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DB = "ispec_bench_reports"
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
QUEUE = f"ispec-bench-reports-{os.getpid()}"


def admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def load_history(n: int, bureau_id: int) -> None:
    """``n`` published events over 24-31N, 112-120E since 1970, Gutenberg-Richter b = 1 above M3."""
    from django.db import connection

    rng = np.random.default_rng(2026)
    lat = rng.uniform(24.0, 31.0, n)
    lon = rng.uniform(112.0, 120.0, n)
    mags = np.round(3.0 + rng.exponential(1.0 / np.log(10.0), n), 1)
    depth = rng.uniform(1, 30, n)
    t0 = np.datetime64("1970-01-01T00:00:00", "us")
    span = (np.datetime64("2026-01-01T00:00:00", "us") - t0).astype(np.int64)
    times = t0 + np.sort(rng.integers(0, span, n)).astype("timedelta64[us]")
    columns = (
        "bureau_id, public_id, external_id, origin_time, latitude, longitude, location, depth_km, magnitude, "
        "magnitude_type, location_name, source, event_type, status, report_kind, is_published, version, "
        "created_at, updated_at"
    )
    buf = io.StringIO()
    for i in range(n):
        buf.write(
            f"{bureau_id}\thist-{i}\t\t{times[i]}Z\t{lat[i]:.4f}\t{lon[i]:.4f}\t"
            f"SRID=4326;POINT({lon[i]:.4f} {lat[i]:.4f})\t{depth[i]:.1f}\t{mags[i]:.1f}\tML\t历史地震{i}\tbench\t"
            "earthquake\treviewed\tcatalog\tt\t1\tnow()\tnow()\n"
        )
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY catalog_event ({columns}) FROM STDIN") as copy:
            copy.write(buf.getvalue())
        cursor.execute("ANALYZE catalog_event")


def load_layers(actor) -> None:  # type: ignore[no-untyped-def]
    from printing.geodesy import destination
    from reports.services.gis_layers import gis_layer_upload

    rng = np.random.default_rng(7)
    for kind, count in (("school", 3000), ("hospital", 1200), ("reservoir", 400), ("fault", 400)):
        features = []
        for i in range(count):
            lon, lat = float(rng.uniform(113.6, 118.4)), float(rng.uniform(24.6, 30.0))
            if kind == "fault":
                end = destination(lon, lat, float(rng.uniform(0, 180)), float(rng.uniform(5, 40)))
                geometry = {"type": "LineString", "coordinates": [[lon, lat], list(end)]}
            elif kind == "reservoir":
                ring = [list(destination(lon, lat, b, 1.5)) for b in range(0, 360, 45)]
                geometry = {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
            else:
                geometry = {"type": "Point", "coordinates": [lon, lat]}
            features.append({"type": "Feature", "properties": {"name": f"{kind}-{i}"}, "geometry": geometry})
        gis_layer_upload(
            actor=actor,
            name=f"bench-{kind}",
            kind=kind,
            content=json.dumps({"type": "FeatureCollection", "features": features}).encode(),
        )


def sms(index: int) -> str:
    when = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))) - dt.timedelta(minutes=2)
    lat = 27.5 + 0.25 * index
    lon = 114.6 + 0.2 * index
    return (
        f"【江西省地震局】江西省地震台网正式测定:{when:%Y年%m月%d日%H时%M分}在江西宜春市上高县"
        f"(北纬{lat:.2f}度,东经{lon:.2f}度)发生4.{index % 10}级地震,震源深度8千米。"
    )


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    from portal.celery import app

    out = open(log, "w")  # noqa: SIM115 - kept open for the worker's lifetime
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portal", "worker", "-P", "solo", "-Q", QUEUE,
         "-n", f"bench-reports-{os.getpid()}@%h", "-l", "warning", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
    )  # fmt: skip
    name = f"bench-reports-{os.getpid()}@{socket.gethostname()}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(log.read_text()[-2000:])
        if app.control.ping(destination=[name], timeout=0.5):
            return proc
    raise RuntimeError("worker did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--history", type=int, default=100_000)
    args = parser.parse_args()

    admin(f"DROP DATABASE IF EXISTS {DB}")
    admin(f"CREATE DATABASE {DB}")
    media = tempfile.mkdtemp(prefix="ispec-bench-reports-")
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.local",
        DATABASE_URL=f"postgis://postgres@127.0.0.1:5432/{DB}",
        CELERY_TASK_DEFAULT_QUEUE=QUEUE,
        CHANNELS_PREFIX=f"bench-{os.getpid()}",
        CACHE_KEY_PREFIX=f"bench-{os.getpid()}",
        PORTAL_MEDIA_ROOT=media,
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        DJANGO_DEBUG="0",
        LOG_LEVEL="WARNING",
    )
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    worker = None
    try:
        call_command("migrate", verbosity=0)
        from portal import demo
        from portal.models import User
        from portal.tenancy import actor_for
        from reports import gazetteer
        from reports.services.topic_settings import topic_report_settings_update
        from reports.services.towns import towns_load

        demo.load_disciplines()
        bureaus = {b.code: b for b in demo.load_bureaus()}
        demo.load_demo_people()
        jx = bureaus["JX"]
        started = time.perf_counter()
        towns = towns_load(rows=gazetteer.read_rows())
        load_history(args.history, jx.pk)
        admin_actor = actor_for(User.objects.get(username="jx_admin"), "JX")
        load_layers(admin_actor)
        topic_report_settings_update(actor=admin_actor, email_recipients="duty@jx.example.cn")
        print(
            f"setup (not timed): {towns} towns, {args.history} historical events, 5000 layer features, "
            f"{time.perf_counter() - started:.1f} s"
        )
        worker = start_worker(env, Path(media) / "worker.log")

        from rest_framework.test import APIClient

        from reports.models import TopicReport

        client = APIClient(SERVER_NAME="127.0.0.1")
        client.force_authenticate(User.objects.get(username="jx_forecaster"))
        rows = []
        for index in range(args.runs):
            t0 = time.perf_counter()
            response = client.post(
                "/api/v1/quick-reports/", {"text": sms(index)}, format="json", HTTP_X_BUREAU="JX"
            )
            assert response.status_code == 201, response.content
            posted = time.perf_counter() - t0
            public_id = (
                response.json()["public_id"] if "public_id" in response.json() else response.json()["id"]
            )
            while True:
                report = TopicReport.objects.filter(event__public_id=public_id).first()
                if report is not None and report.status in ("ready", "failed"):
                    break
                if time.perf_counter() - t0 > 180:
                    raise RuntimeError("report not ready in 180 s")
                time.sleep(0.05)
            wall = time.perf_counter() - t0
            assert report.status == "ready", report.error
            t = report.timings
            c = report.context
            rows.append((wall, t))
            print(
                f"run {index + 1}: POST {posted:.2f} s, POST->ready {wall:.2f} s, received->ready {t['total']:.2f} s "
                f"(queries {t['queries']:.2f}, maps {t['maps']:.2f}, pdf {t['pdf']:.2f}); "
                f"{c['towns']['count']} towns, {c['history']['count']} historical events, "
                f"{sum(layer['count'] for layer in c['layers'])} layer features in radius, "
                f"PDF {report.pdf.size / 1024:.0f} KiB"
            )
        walls = [w for w, _ in rows]
        print(
            f"median POST->ready {statistics.median(walls):.2f} s (min {min(walls):.2f}, max {max(walls):.2f}) over {len(walls)} runs; "
            f"median queries {statistics.median(t['queries'] for _, t in rows):.2f} s, "
            f"maps {statistics.median(t['maps'] for _, t in rows):.2f} s, "
            f"pdf {statistics.median(t['pdf'] for _, t in rows):.2f} s"
        )
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=20)
        from django.db import connections

        connections.close_all()
        admin(f"DROP DATABASE IF EXISTS {DB}")


if __name__ == "__main__":
    main()
