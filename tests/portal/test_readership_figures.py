"""The bureau admin's reading figures: views per Beijing day over 90 days (chart, API, page)
and the most read reports."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

import pytest
from django.test import Client
from django.utils import timezone

from portal.models import ReportView
from portal.readership import most_read, read_reports, views_per_day
from portal.timefmt import BEIJING
from portal.timefmt import today as beijing_today
from tests.factories import ConsultationReportFactory, MeetingFactory

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def jx_report(jx):
    return ConsultationReportFactory(meeting=MeetingFactory(bureau=jx, title="2026年10月月会商"))


@pytest.fixture
def readings(jx, nm, jx_forecaster, jx_report):
    """Views at random instants over 100 days, some of another bureau, some at Beijing
    midnight's edges; returns the expected count per Beijing day of JX's views."""
    rng = random.Random(11)  # noqa: S311 - test data, not secrets
    now = timezone.now()
    rows, expected = [], Counter()
    for _ in range(600):
        at = now - dt.timedelta(seconds=rng.randrange(0, 100 * 86400))
        bureau = jx if rng.random() < 0.8 else nm
        rows.append((bureau, at))
        if bureau == jx:
            expected[at.astimezone(BEIJING).date()] += 1
    today = beijing_today()
    for day_offset, clock in ((3, dt.time(0, 0)), (3, dt.time(23, 59, 59)), (89, dt.time(0, 0, 1))):
        at = dt.datetime.combine(today - dt.timedelta(days=day_offset), clock, tzinfo=BEIJING)
        rows.append((jx, at))
        expected[at.date()] += 1
    ReportView.objects.bulk_create(
        ReportView(
            user=jx_forecaster,
            bureau=bureau,
            report_kind="consultation_report",
            report_id=jx_report.pk,
            channel="web",
            viewed_at=at,
        )
        for bureau, at in rows
    )
    first = today - dt.timedelta(days=89)
    return [(first + dt.timedelta(days=i), expected[first + dt.timedelta(days=i)]) for i in range(90)]


def test_views_per_day_equal_the_counts_by_beijing_day(readings, jx_admin, as_actor):
    assert views_per_day(actor=as_actor(jx_admin), days=90) == readings


def test_daily_api_gives_the_same_counts_to_the_admin(api, readings, jx_admin):
    response = api(jx_admin).get("/api/v1/report-views/daily/", {"days": 90})

    assert response.status_code == 200
    body = response.json()
    assert [(r["day"], r["views"]) for r in body["results"]] == [(d.isoformat(), n) for d, n in readings]
    assert body["total"] == sum(n for _d, n in readings)
    assert body["bureau"] == "JX"


def test_daily_api_is_403_for_a_forecaster(api, readings, jx_forecaster):
    assert api(jx_forecaster).get("/api/v1/report-views/daily/").status_code == 403


def test_daily_api_refuses_a_bad_period(api, jx_admin):
    response = api(jx_admin).get("/api/v1/report-views/daily/", {"days": 0})

    assert response.status_code == 400
    assert "days" in response.json()["errors"]


def test_admin_dashboard_draws_the_chart_and_the_most_read(readings, jx_admin, jx_report):
    page = _client(jx_admin).get("/").content.decode()

    total = sum(n for _d, n in readings)
    assert 'data-panel="readership"' in page
    assert f'data-total="{total}" data-days="90"' in page
    assert page.count('class="bar"') == 90
    assert f'href="/consultations/reports/{jx_report.pk}/"' in page
    assert ">" + beijing_today().strftime("%m-%d") + "</text>" in page  # the last day labelled


def test_forecaster_dashboard_has_no_reading_figures(readings, jx_forecaster):
    page = _client(jx_forecaster).get("/").content.decode()

    assert 'data-panel="readership"' not in page


def test_most_read_falls_back_to_kind_and_id(jx, jx_admin, jx_forecaster, jx_report, as_actor):
    now = timezone.now()
    ReportView.objects.bulk_create(
        [
            ReportView(
                user=jx_forecaster,
                bureau=jx,
                report_kind="retired_kind",
                report_id=77,
                channel="web",
                viewed_at=now,
            ),
            ReportView(
                user=jx_forecaster,
                bureau=jx,
                report_kind="retired_kind",
                report_id=77,
                channel="pdf",
                viewed_at=now,
            ),
            ReportView(
                user=jx_forecaster,
                bureau=jx,
                report_kind="consultation_report",
                report_id=jx_report.pk,
                channel="web",
                viewed_at=now,
            ),
        ]
    )
    admin = as_actor(jx_admin)

    lines = read_reports(actor=admin, entries=list(most_read(actor=admin, days=90)))

    assert [(line.title, line.url, line.views, line.readers) for line in lines] == [
        ("retired_kind #77", "", 2, 1),
        ("2026年10月月会商", f"/consultations/reports/{jx_report.pk}/", 1, 1),
    ]


def test_readership_page_for_the_admin_only(readings, jx_admin, jx_forecaster, jx_report):
    page = _client(jx_admin).get("/manage/readership/", {"kind": "consultation_report", "days": "30"})
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('class="bar"') == 2 * 30  # the phone's chart and the wide screen's
    assert f'data-report="{jx_report.pk}"' in html

    assert _client(jx_admin).get("/manage/readership/", {"days": "12"}).status_code == 400
    assert _client(jx_forecaster).get("/manage/readership/").status_code == 403


def test_demo_views_go_to_the_seeded_reports_by_their_readers(
    jx, jx_forecaster, jx_reporter, cenc_forecaster
):
    from portal import demo

    report = ConsultationReportFactory(meeting=MeetingFactory(bureau=jx, title="演示会商"), status="issued")

    made = demo.load_report_views(per_day=50, days=10)

    assert 350 <= made <= 650
    assert set(ReportView.objects.values_list("report_kind", "report_id", "bureau_id")) == {
        ("consultation_report", report.pk, jx.pk)
    }
    readers = set(ReportView.objects.values_list("user__username", flat=True))
    assert readers <= {"jx_forecaster", "cenc_forecaster"}  # never the reporter
    assert "jx_forecaster" in readers
    assert demo.load_report_views(per_day=50, days=10) == 0  # once
