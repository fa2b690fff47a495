"""CSV import (all or nothing, or the valid lines by choice) and the submission matrix."""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta

import pytest
from django.contrib.gis.geos import Point
from django.db import connection
from django.utils import timezone

from disciplines.models import BEIJING, Anomaly, ReportingUnit, ZeroReport

pytestmark = pytest.mark.django_db


def _csv(text: str, name: str = "reports.csv", encoding: str = "utf-8") -> io.BytesIO:
    upload = io.BytesIO(text.encode(encoding))
    upload.name = name
    return upload


def _day(n: int) -> str:
    return (timezone.localdate() - timedelta(days=n)).isoformat()


def test_valid_file_is_imported(api, jx_reporter, jx_fluid_unit):
    text = (
        "unit,period,status,observation_item,description,onset_at\n"
        f"JX-FL-01,{_day(2)},none,,,\n"
        f"JX-FL-01,{_day(1)},anomaly,水温,水温下降 0.3 ℃,{_day(1)} 07:30\n"
    )
    response = api(jx_reporter).post(
        "/api/v1/zero-reports/import/", {"file": _csv(text, encoding="gb18030")}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    assert response.json() == {"lines": 2, "valid": 2, "imported": 2, "errors": []}
    assert sorted(ZeroReport.objects.values_list("status", "source")) == [("anomaly", "csv"), ("none", "csv")]
    anomaly = Anomaly.objects.get()
    assert timezone.localtime(anomaly.onset_at).strftime("%H:%M") == "07:30"


BAD_FILE = (
    "unit,period,status,observation_item,description,onset_at\n"
    "JX-FL-01,{ok},none,,,\n"
    "JX-XX-99,{ok},none,,,\n"
    "JX-FL-01,2099-01-01,none,,,\n"
    "JX-MA-02,{ok},none,,,\n"
    "JX-FL-01,{ok2},anomaly,水位,,{ok2} 08:00\n"
    "JX-FL-01,{ok3},sometimes,,,\n"
    "JX-FL-01,{ok},none,,,\n"
)


def test_any_bad_line_stores_nothing_and_reports_every_line(api, jx_reporter, jx_fluid_unit, jx_other_unit):
    text = BAD_FILE.format(ok=_day(1), ok2=_day(2), ok3=_day(3))
    response = api(jx_reporter).post("/api/v1/zero-reports/import/", {"file": _csv(text)}, format="multipart")
    assert response.status_code == 400
    errors = [(e["line"], e["field"]) for e in response.json()["errors"]]
    assert errors == [
        (3, "unit"),
        (4, "period"),
        (5, "unit"),
        (6, "description"),
        (7, "status"),
        (8, "period"),
    ]
    assert response.json()["imported"] == 0
    assert ZeroReport.objects.count() == 0


def test_person_may_choose_to_import_the_valid_lines(api, jx_reporter, jx_fluid_unit, jx_other_unit):
    text = BAD_FILE.format(ok=_day(1), ok2=_day(2), ok3=_day(3))
    response = api(jx_reporter).post(
        "/api/v1/zero-reports/import/", {"file": _csv(text), "import_valid": "true"}, format="multipart"
    )
    assert response.status_code == 201
    assert (response.json()["valid"], response.json()["imported"]) == (1, 1)
    assert list(ZeroReport.objects.values_list("unit__code", "period")) == [
        ("JX-FL-01", timezone.localdate() - timedelta(days=1))
    ]


@pytest.mark.parametrize(
    ("content", "fragment"),
    [("period,status\n2026-01-01,none\n", "unit"), ("\x00\x01\xff\xfe garbage", "header")],
)
def test_unreadable_file_is_400(api, jx_reporter, jx_fluid_unit, content, fragment):
    upload = io.BytesIO(content.encode("latin-1"))
    upload.name = "x.csv"
    response = api(jx_reporter).post("/api/v1/zero-reports/import/", {"file": upload}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()["errors"]


def test_other_bureau_cannot_import_into_jx_units(api, nm_reporter, jx_fluid_unit):
    response = api(nm_reporter).post(
        "/api/v1/zero-reports/import/",
        {"file": _csv(f"unit,period,status\nJX-FL-01,{_day(1)},none\n")},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"].startswith("Unknown reporting unit")
    assert ZeroReport.objects.count() == 0


def test_matrix_cells_are_on_time_late_missing_anomaly_pending(as_actor, jx_reporter, jx_fluid_unit):
    from disciplines.selectors import zero_report_matrix
    from disciplines.services.zero_reports import AnomalyInput, zero_report_submit

    today = timezone.localdate()
    d = [today - timedelta(days=n) for n in (4, 3, 2, 1, 0)]
    actor = as_actor(jx_reporter)
    zero_report_submit(
        actor=actor,
        unit=jx_fluid_unit,
        period=d[0],
        status="none",
        now=datetime.combine(d[0], time(20), tzinfo=BEIJING),
    )
    zero_report_submit(
        actor=actor,
        unit=jx_fluid_unit,
        period=d[1],
        status="none",
        now=datetime.combine(d[1] + timedelta(days=1), time(11), tzinfo=BEIJING),
    )
    zero_report_submit(
        actor=actor,
        unit=jx_fluid_unit,
        period=d[3],
        status="anomaly",
        anomaly=AnomalyInput("水位", "上升", timezone.now() - timedelta(days=1)),
    )
    now = datetime.combine(today, time(12), tzinfo=BEIJING)
    matrix = zero_report_matrix(actor=actor, units=[jx_fluid_unit], start=d[0], end=d[4], now=now)
    assert "".join(matrix.rows[0].cells) == "olmap"
    assert matrix.totals()["m"] == 1


def _units(jx, disciplines, n, start=0):
    return [
        ReportingUnit(
            bureau=jx,
            code=f"U{i:04d}",
            name=f"点{i}",
            discipline=disciplines["fluid"],
            location=Point(115 + i / 1000, 27, srid=4326),
        )
        for i in range(start, start + n)
    ]


def _count_queries(client, url):
    """SQL statements of one request (connection.queries is reset when a request starts)."""
    statements = []

    def wrapper(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        response = client.get(url)
    return response, statements


def test_matrix_page_uses_a_constant_number_of_queries(
    client, jx, jx_expert, jx_reporter, disciplines, as_actor
):
    from disciplines.services.zero_reports import zero_report_submit

    few_units = ReportingUnit.objects.bulk_create(_units(jx, disciplines, 5))
    client.force_login(jx_expert)
    _response, few = _count_queries(client, "/disciplines/matrix/?per_page=2000")
    more = ReportingUnit.objects.bulk_create(_units(jx, disciplines, 120, start=5))
    for unit in (*few_units, *more[:40]):
        unit.reporters.add(jx_reporter)
        zero_report_submit(actor=as_actor(jx_reporter), unit=unit, period=timezone.localdate(), status="none")
    response, many = _count_queries(client, "/disciplines/matrix/?per_page=2000")
    assert response.content.count(b"<tr data-unit=") == 125
    assert response.content.count(b'<td class="z-o">') == 45
    assert len(few) > 3  # the session, the person, the units and the reports at least
    assert len(many) == len(few)


def test_matrix_page_is_tenant_scoped_and_refused_to_viewers(
    client, jx_expert, nm_admin, jx_viewer, jx_fluid_unit, nm_unit
):
    client.force_login(nm_admin)
    body = client.get("/disciplines/matrix/").content.decode()
    assert "NM-FL-01" in body
    assert "JX-FL-01" not in body
    client.force_login(jx_viewer)
    assert client.get("/disciplines/matrix/").status_code == 403
    assert client.get("/api/v1/zero-reports/matrix/").status_code == 403


@pytest.mark.parametrize(
    ("schedule", "deadline", "local_now", "expected"),
    [
        ("daily", time(10), datetime(2026, 11, 22, 9, 59), "2026-11-20"),
        ("daily", time(10), datetime(2026, 11, 22, 10, 0), "2026-11-21"),
        ("daily", time(18), datetime(2026, 11, 22, 17, 0), "2026-11-20"),
        ("weekly", time(10), datetime(2026, 11, 23, 10, 0), "2026-11-16"),  # Monday: last week is due
        ("weekly", time(10), datetime(2026, 11, 23, 9, 0), "2026-11-15"),
    ],
)
def test_last_overdue_period_agrees_with_the_deadline(schedule, deadline, local_now, expected):
    from disciplines.selectors import _last_overdue_period

    unit = ReportingUnit(schedule=schedule, deadline_time=deadline)
    now = local_now.replace(tzinfo=BEIJING)
    last = _last_overdue_period(unit, now)
    assert last.isoformat() == expected
    if schedule == "daily":
        assert unit.deadline_for(last) <= now < unit.deadline_for(last + timedelta(days=1))
    else:
        monday = unit.period_start(last)
        assert unit.deadline_for(monday) <= now < unit.deadline_for(monday + timedelta(days=7))


def test_import_page_lists_the_wrong_lines_and_stores_nothing(client, jx_reporter, jx_fluid_unit):
    client.force_login(jx_reporter)
    text = f"unit,period,status\nJX-FL-01,{_day(1)},none\nJX-FL-01,not-a-date,none\n"
    response = client.post("/disciplines/zero-reports/import/", {"file": _csv(text)})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="import-errors"' in body
    assert "<td>3</td><td>period</td>" in body
    assert ZeroReport.objects.count() == 0
    stored = client.post("/disciplines/zero-reports/import/", {"file": _csv(text), "import_valid": "on"})
    assert stored.status_code == 200
    assert ZeroReport.objects.count() == 1


def test_matrix_api_gives_one_code_per_day(api, jx_expert, jx_reporter, jx_fluid_unit, as_actor):
    from disciplines.services.zero_reports import zero_report_submit

    today = timezone.localdate()
    zero_report_submit(actor=as_actor(jx_reporter), unit=jx_fluid_unit, period=today, status="none")
    body = (
        api(jx_expert)
        .get(
            f"/api/v1/zero-reports/matrix/?start={(today - timedelta(days=2)).isoformat()}&end={today.isoformat()}"
        )
        .json()
    )
    assert body["days"] == [(today - timedelta(days=n)).isoformat() for n in (2, 1, 0)]
    assert [(r["code"], len(r["cells"]), r["cells"][-1]) for r in body["rows"]] == [("JX-FL-01", 3, "o")]
    assert body["totals"]["o"] == 1
    bad = api(jx_expert).get("/api/v1/zero-reports/matrix/?start=2026-01-01&end=2026-12-31")
    assert bad.status_code == 400
    assert "start" in bad.json()["errors"]
