"""Benchmark of zero-reports (issue 4).

Run:  DATABASE_URL=postgis://postgres@127.0.0.1:5432/ispec_disciplines .venv/bin/python bench/disciplines_bench.py

Creates a throw-away database (bench_<name>), then measures
- the submission matrix page for 2,000 units x 31 days (about 59,000 reports):
  server render time (best of 5, through Django's test client: middleware,
  view, template) and the number of SQL queries, also for 100 and 500 units
  to show the count does not grow;
- zero-report submissions per second through the API (POST /api/v1/zero-reports/,
  token auth, DRF, service with row lock, revision and audit rows, the live event
  sent to Redis), one client in process.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.gis.geos import MultiPolygon, Point, Polygon  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Iterator

UNITS = 2000
DAYS = 31
SUBMISSIONS = 600


@contextmanager
def count_queries() -> Iterator[list[int]]:
    """SQL statements run inside the block (the request's reset of connection.queries cannot hide them)."""
    counter = [0]

    def wrapper(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        counter[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield counter


def main() -> None:
    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver", "localhost"]
    connection.settings_dict["TEST"]["NAME"] = "bench_" + connection.settings_dict["NAME"]
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run() -> None:
    from rest_framework.authtoken.models import Token

    from disciplines.models import ReportingUnit, ZeroReport
    from portal.demo import load_disciplines
    from portal.models import Bureau, Membership, User

    disciplines = {d.code: d for d in load_disciplines()}
    jx = Bureau.objects.create(
        code="JX",
        name_zh="江西省地震局",
        name_en="Jiangxi",
        kind="provincial",
        jurisdiction=MultiPolygon(Polygon.from_bbox((113.5, 24.5, 118.5, 30.1)), srid=4326),
    )
    expert = User.objects.create_user("bench_expert", password="x-bench-pass-1")
    reporter = User.objects.create_user("bench_reporter", password="x-bench-pass-1")
    Membership.objects.create(user=expert, bureau=jx, role="expert", discipline=disciplines["fluid"])
    Membership.objects.create(user=reporter, bureau=jx, role="reporter")
    codes = list(disciplines)
    units = ReportingUnit.objects.bulk_create(
        ReportingUnit(
            bureau=jx,
            code=f"JX-{i:05d}",
            name=f"观测点{i}",
            discipline=disciplines[codes[i % 4]],
            location=Point(113.7 + (i % 50) * 0.09, 24.7 + (i // 50) * 0.13, srid=4326),
        )
        for i in range(UNITS)
    )
    today = timezone.localdate()
    start = today - timedelta(days=DAYS - 1)
    now = timezone.now()
    rows = []
    for n, unit in enumerate(units):
        for d in range(DAYS - 1):
            if (n * 31 + d) % 19 == 0:
                continue  # about 5 % missing
            rows.append(
                ZeroReport(
                    bureau=jx,
                    unit=unit,
                    period=start + timedelta(days=d),
                    status="anomaly" if (n + d) % 97 == 0 else "none",
                    reported_by=reporter,
                    submitted_at=now,
                    is_late=(n + d) % 13 == 0,
                )
            )
    ZeroReport.objects.bulk_create(rows, batch_size=5000)
    print(f"setup: {UNITS} units, {len(rows)} zero-reports over {DAYS} days")

    client = Client()
    client.force_login(expert)
    for count in (100, 500, UNITS):
        url = f"/disciplines/matrix/?per_page={count}&start={start.isoformat()}&end={today.isoformat()}"
        response = client.get(url)  # warm up
        assert response.status_code == 200, response.status_code
        with count_queries() as queries:
            response = client.get(url)
        best = float("inf")
        for _ in range(5):
            t0 = time.perf_counter()
            response = client.get(url)
            best = min(best, time.perf_counter() - t0)
        cells = response.content.count(b'<td class="z-')
        print(
            f"matrix page {count} units x {DAYS} days: {best * 1000:.0f} ms (best of 5), "
            f"{queries[0]} queries, {len(response.content) / 1024:.0f} KiB HTML, {cells} cells"
        )

    # submissions through the API: each POST a new (unit, period) for reporter-held units
    held = units[: SUBMISSIONS // 3 + 1]
    for unit in held:
        unit.reporters.add(reporter)
    token, _ = Token.objects.get_or_create(user=reporter)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    ZeroReport.objects.filter(unit__in=held, period__gte=today - timedelta(days=2)).delete()
    jobs = [(unit.pk, (today - timedelta(days=d)).isoformat()) for d in range(3) for unit in held][
        :SUBMISSIONS
    ]
    t0 = time.perf_counter()
    for unit_id, period in jobs:
        response = api.post(
            "/api/v1/zero-reports/", {"unit": unit_id, "period": period, "status": "none"}, format="json"
        )
        assert response.status_code == 201, response.content
    elapsed = time.perf_counter() - t0
    print(
        f"API submissions: {len(jobs)} in {elapsed:.2f} s = {len(jobs) / elapsed:.0f} per second (one client)"
    )
    # four clients at once (threads, each with its own connection), on different units
    threads_n = 4
    more = units[SUBMISSIONS // 3 + 1 : SUBMISSIONS // 3 + 1 + threads_n * 50]
    for unit in more:
        unit.reporters.add(reporter)
    ZeroReport.objects.filter(unit__in=more, period=today).delete()
    errors: list[int] = []

    def client_loop(chunk: list[int]) -> None:
        own = APIClient()
        own.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        for unit_id in chunk:
            code = own.post(
                "/api/v1/zero-reports/",
                {"unit": unit_id, "period": today.isoformat(), "status": "none"},
                format="json",
            ).status_code
            if code != 201:
                errors.append(code)
        connection.close()

    chunks = [[u.pk for u in more[i::threads_n]] for i in range(threads_n)]
    workers = [threading.Thread(target=client_loop, args=(chunk,)) for chunk in chunks]
    t0 = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - t0
    assert not errors, errors
    print(
        f"API submissions, {threads_n} clients at once: {len(more)} in {elapsed:.2f} s = {len(more) / elapsed:.0f} per second"
    )
    with count_queries() as queries:
        api.post(
            "/api/v1/zero-reports/",
            {"unit": held[0].pk, "period": today.isoformat(), "status": "none"},
            format="json",
        )
    print(f"queries per resubmission (auth, actor, unit, lock, report, revision, audit): {queries[0]}")


if __name__ == "__main__":
    main()
