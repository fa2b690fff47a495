"""Benchmark of the monthly trend report's compilation (issue 11): one month of JX over a
catalog of 1,000,000 events and 5,000 anomalies, each section timed.

Run:  .venv/bin/python bench/trend_bench.py [--events 1000000] [--anomalies 5000]

Creates the database ispec_bench_trends (dropped at the end unless --keep), migrates it,
loads the bureaus with their real jurisdictions (portal.demo.load_bureaus: JX is Jiangxi's
379-vertex outline) and, not timed:

* the events with COPY over 10 years (2016-11 to 2026-10 Beijing time): half uniform over
  73-135 E / 18-54 N, half in 113-119 E / 24-30.5 N around Jiangxi (so JX's month holds
  thousands of events and its past ten years hundreds of thousands), Gutenberg-Richter
  magnitudes (b = 1 above 1.0);
* the anomalies (bulk insert) over the two years before, in every state, 200 reporting
  units with their zero-reports of the month (one in twenty days missing, one in ten late),
  September's monthly meeting with an issued report and two forecasts for October, October's
  closed monthly meeting with two discipline opinions and forecasts for November.

Then it compiles October 2026 for JX: each section through ``compile_section`` (the
products section computes its three runs the first time: b-value, Mc, rate change), and
``compile_all`` again (the runs now exist and are read). The figures are wall times in this
process; the limit beside them is the Celery hard time limit of the compilation task.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DB = "ispec_bench_trends"
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
LIMIT_S = 600  # CELERY_TASK_TIME_LIMIT (portal/settings/base.py): the compilation must fit in it
BJT = dt.timezone(dt.timedelta(hours=8))


def admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def load_events(n: int, bureau_id: int) -> None:
    from django.db import connection

    rng = np.random.default_rng(2026)
    half = n // 2
    lon = np.concatenate([rng.uniform(73, 135, half), rng.uniform(113, 119, n - half)])
    lat = np.concatenate([rng.uniform(18, 54, half), rng.uniform(24, 30.5, n - half)])
    order = rng.permutation(n)
    lon, lat = lon[order], lat[order]
    mags = np.round(1.0 + rng.exponential(1.0 / np.log(10.0), n), 1)
    depth = rng.uniform(1, 30, n)
    t0 = np.datetime64("2016-10-31T16:00:00", "us")  # 2016-11-01 00:00 Beijing time
    span = int((np.datetime64("2026-10-31T16:00:00", "us") - t0) / np.timedelta64(1, "us"))
    times = t0 + np.sort(rng.integers(0, span, n)).astype("timedelta64[us]")
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


def load_disciplines_data(jx, n_anomalies: int) -> None:
    from django.contrib.gis.geos import Point

    from disciplines.models import Anomaly, ReportingUnit, ZeroReport
    from portal.demo import load_disciplines
    from portal.models import User

    disciplines = load_disciplines()
    user = User.objects.create_user(username="bench-reporter", password="bench-pass-123")
    rng = np.random.default_rng(11)
    units = ReportingUnit.objects.bulk_create(
        ReportingUnit(
            bureau=jx,
            code=f"U{i:03d}",
            name=f"台站{i:03d}",
            discipline=disciplines[i % 4],
            location=Point(115.0 + (i % 20) * 0.1, 26.0 + (i // 20) * 0.2, srid=4326),
        )
        for i in range(200)
    )
    october = [dt.date(2026, 10, 1) + dt.timedelta(days=d) for d in range(31)]
    reports = []
    for unit in units:
        for day in october:
            roll = rng.random()
            if roll < 0.05:
                continue
            reports.append(
                ZeroReport(
                    bureau=jx,
                    unit=unit,
                    period=day,
                    status="none",
                    reported_by=user,
                    submitted_at=dt.datetime.combine(day, dt.time(20), tzinfo=BJT),
                    is_late=roll > 0.9,
                )
            )
    ZeroReport.objects.bulk_create(reports, batch_size=2000)
    states = ["reported", "verifying", "verified", "assessed", "tracking", "closed"]
    start = dt.datetime(2024, 11, 1, tzinfo=BJT)
    rows = []
    for i in range(n_anomalies):
        created = start + dt.timedelta(seconds=float(rng.uniform(0, 730 * 86400)))
        state = states[i % len(states)]
        verified = (
            created + dt.timedelta(days=3)
            if state in ("verified", "assessed", "tracking", "closed")
            else None
        )
        rows.append(
            Anomaly(
                bureau=jx,
                source="expert",
                station=f"台站{i % 200:03d}",
                observation_item="水位",
                discipline=disciplines[i % 4],
                onset_at=created - dt.timedelta(days=1),
                description="bench",
                state=state,
                reported_by=user,
                assignee=user if state == "verifying" else None,
                verify_due_at=created + dt.timedelta(days=7) if state == "verifying" else None,
                verified_at=verified,
                assessed_at=verified + dt.timedelta(days=2) if verified and state != "verified" else None,
                closed_at=verified + dt.timedelta(days=5) if state == "closed" and verified else None,
            )
        )
    made = Anomaly.objects.bulk_create(rows, batch_size=1000)
    # created_at is set on insert: spread it over the two years as reported
    for anomaly, row in zip(made, rows, strict=True):
        anomaly.created_at = row.onset_at + dt.timedelta(days=1)
    Anomaly.objects.bulk_update(made, ["created_at"], batch_size=1000)


def load_meetings(jx) -> None:
    from decimal import Decimal

    from django.contrib.gis.geos import MultiPolygon, Polygon

    from consultations.models import Conclusion, ConsultationReport, DisciplineOpinion, Forecast, Meeting
    from consultations.services.report_workflow import meeting_snapshot
    from portal.models import Discipline, User

    chair = User.objects.create_user(username="bench-chair", password="bench-pass-123")

    def meeting(starts: dt.datetime, forecasts: list[tuple[dt.date, dt.date, tuple[float, ...]]]) -> Meeting:
        row = Meeting.objects.create(
            bureau=jx,
            kind="monthly",
            title=f"{starts:%Y-%m} 月会商",
            starts_at=starts,
            status="closed",
            chair=chair,
            closed_at=starts + dt.timedelta(hours=3),
        )
        conclusion = Conclusion.objects.create(
            meeting=row, bureau=jx, text="未来一个月江西发生5级地震的可能性不大"
        )
        for first, last, bounds in forecasts:
            Forecast.objects.create(
                conclusion=conclusion,
                bureau=jx,
                window_start=first,
                window_end=last,
                region=MultiPolygon(Polygon.from_bbox(bounds), srid=4326),
                min_magnitude=Decimal("4.0"),
                likelihood="medium",
            )
        for discipline in Discipline.objects.all()[:2]:
            DisciplineOpinion.objects.create(
                meeting=row, bureau=jx, discipline=discipline, author=chair, summary="无明显异常"
            )
        return row

    october = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    november = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    september = meeting(
        dt.datetime(2026, 9, 25, 9, tzinfo=BJT),
        [(*october, (115.0, 27.0, 116.0, 28.0)), (*october, (116.5, 25.0, 117.5, 26.0))],
    )
    ConsultationReport.objects.create(
        bureau=jx, meeting=september, title="九月会商", status="issued", content=meeting_snapshot(september)
    )
    meeting(dt.datetime(2026, 10, 28, 9, tzinfo=BJT), [(*november, (114.0, 26.0, 115.0, 27.0))])


def compile_month(bureau, compile_section, compile_all, sections_for, bureau_reader, context_class) -> None:
    """Each section timed, then the whole report again (the month's product runs now exist)."""
    context = context_class(bureau=bureau, month=dt.date(2026, 10, 1), reader=bureau_reader(bureau))
    total = 0.0
    print(f"\ncompiling 2026-10 for {bureau.code} (limit: the task's {LIMIT_S} s), first compilation:")
    for spec in sections_for(bureau):
        started = time.perf_counter()
        compiled = compile_section(spec.key, context)
        took = time.perf_counter() - started
        total += took
        extra = ""
        if spec.key == "seismicity":
            extra = f" counts {compiled.data['counts']}, {len(compiled.data['outside'])} outside"
        if spec.key == "products":
            extra = " " + ", ".join(
                f"{r['method']} {r['status']} ({r['input_count']} events)" for r in compiled.data["runs"]
            )
        if spec.key == "anomalies":
            extra = f" {len(compiled.data['rows'])} rows"
        print(
            f"  {spec.key:13} {took:7.2f} s  n_events={compiled.n_events}  figures={len(compiled.figures)}{extra}"
        )
    print(f"  {'total':13} {total:7.2f} s  (limit {LIMIT_S} s)")
    started = time.perf_counter()
    compile_all(context)
    print(f"recompilation (compile_all, the month's runs read): {time.perf_counter() - started:.2f} s")


def compile_and_render(bureau) -> None:
    """The whole job as the worker runs it (compile every section and store them with their
    figures), then the report's PDF through the one renderer (WeasyPrint, Chinese fonts)."""
    from trends.rendering import trend_report_html, trend_report_pdf
    from trends.services import trend_compile
    from trends.services import trend_reports as trend_report_services

    # Celery is eager in the test settings: the request runs the compilation task on commit
    started = time.perf_counter()
    report, _created = trend_report_services.trend_report_request(
        actor=None, bureau=bureau, month=dt.date(2026, 10, 1)
    )
    trend_compile.trend_report_compile(report_id=report.pk)  # no-op unless the task was not run
    stored = time.perf_counter() - started
    report.refresh_from_db()
    print(
        f"\nthe compilation job (compile and store, {report.compile_status}): {stored:.2f} s (limit {LIMIT_S} s)"
    )
    started = time.perf_counter()
    html = trend_report_html(report)
    took_html = time.perf_counter() - started
    started = time.perf_counter()
    pdf = trend_report_pdf(report)
    took_pdf = time.perf_counter() - started
    print(f"phone page (HTML, figures embedded): {took_html:.2f} s, {len(html) / 1e6:.1f} MB")
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        info = subprocess.run(["pdfinfo", file.name], capture_output=True, text=True, check=False).stdout
    pages = next((line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")), "?")
    print(f"PDF (WeasyPrint): {took_pdf:.2f} s, {len(pdf) / 1e6:.2f} MB, {pages} pages")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--anomalies", type=int, default=5_000)
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    parser.add_argument("--national", action="store_true", help="compile CENC's report too (all of China)")
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
        from django.db import connection

        from portal.demo import load_bureaus
        from portal.models import Bureau
        from portal.tenancy import bureau_reader
        from trends.compilation import CompileContext, compile_all, compile_section, sections_for

        load_bureaus()
        jx = Bureau.objects.get(code="JX")
        t0 = time.perf_counter()
        load_events(args.events, jx.pk)
        load_disciplines_data(jx, args.anomalies)
        load_meetings(jx)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(
            f"python {sys.version.split()[0]}, numpy {np.__version__}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}"
        )
        print(
            f"loaded {args.events:,} events, {args.anomalies:,} anomalies, 200 units' zero-reports and two meetings "
            f"in {time.perf_counter() - t0:.1f} s (not part of the figures)"
        )
        compile_month(jx, compile_section, compile_all, sections_for, bureau_reader, CompileContext)
        compile_and_render(jx)
        if args.national:
            cenc = Bureau.objects.get(code="CENC")
            compile_month(cenc, compile_section, compile_all, sections_for, bureau_reader, CompileContext)
    finally:
        if not args.keep:
            if "django.db" in sys.modules:
                from django.db import connections

                connections.close_all()
            admin(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
