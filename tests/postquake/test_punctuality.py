"""Punctuality per month: each case's issue time against its deadline, the month's summary, on
the page and the API, for the cases the reader may see; and the cases API's bureau filter."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.exceptions import InvalidInput
from portal.timefmt import BEIJING
from postquake import punctuality
from postquake.models import CaseState, PostQuakeCase
from tests.factories import EventFactory

pytestmark = pytest.mark.django_db

MIN = dt.timedelta(minutes=1)


def _case(bureau, start, *, issued_after=None, state=CaseState.OPEN, due=30, magnitude=5.5):
    event = EventFactory(bureau=bureau, magnitude=magnitude, origin_time=start - 2 * MIN)
    issued = start + issued_after * MIN if issued_after is not None else None
    if issued is not None and state == CaseState.OPEN:
        state = CaseState.OPINION_ISSUED
    return PostQuakeCase.objects.create(
        bureau=bureau,
        event=event,
        opened_at=start + MIN,
        clock_start=start,
        due_at=start + due * MIN,
        state=state,
        issued_at=issued,
    )


@pytest.fixture
def october(jx, nm):
    """Five JX cases of October 2026 (Beijing), one of September, one of November, one of NM."""
    at = dt.datetime(2026, 10, 3, 9, 0, tzinfo=BEIJING)
    return {
        "early": _case(jx, at, issued_after=22),  # 8 min early
        "exact": _case(jx, at + dt.timedelta(days=1), issued_after=30),  # at the deadline: on time
        "late": _case(jx, at + dt.timedelta(days=2), issued_after=41),  # 11 min late
        "open": _case(jx, at + dt.timedelta(days=3)),  # overdue (now is later)
        "closed": _case(jx, at + dt.timedelta(days=4), state=CaseState.CLOSED),
        # the first minute of October in Beijing is still September in UTC: October's
        "first_minute": _case(jx, dt.datetime(2026, 10, 1, 0, 0, tzinfo=BEIJING), issued_after=35),
        "september": _case(jx, dt.datetime(2026, 9, 30, 23, 59, tzinfo=BEIJING), issued_after=10),
        "november": _case(jx, dt.datetime(2026, 11, 1, 0, 0, tzinfo=BEIJING), issued_after=10),
        "other_bureau": _case(nm, at, issued_after=50),
    }


def test_the_months_rows_and_summary_are_computed_against_each_deadline(october, jx_forecaster, as_actor):
    from postquake.selectors import cases_of_month

    month = punctuality.parse_month("2026-10")
    start, end = punctuality.month_bounds(month)
    cases = cases_of_month(actor=as_actor(jx_forecaster), start=start, end=end)
    report = punctuality.report(cases, month=month, now=timezone.now())
    by_case = {row.case.pk: row for row in report.rows}
    assert [row.case.pk for row in report.rows] == [
        october[k].pk for k in ("first_minute", "early", "exact", "late", "open", "closed")
    ]
    assert (by_case[october["early"].pk].minutes, by_case[october["early"].pk].on_time) == (-8.0, True)
    assert by_case[october["early"].pk].minutes_early == 8.0
    assert (by_case[october["exact"].pk].minutes, by_case[october["exact"].pk].status) == (0.0, "on_time")
    assert (by_case[october["late"].pk].minutes, by_case[october["late"].pk].status) == (11.0, "late")
    assert by_case[october["late"].pk].minutes_to_issue == 41.0
    assert by_case[october["open"].pk].status == "overdue"
    assert by_case[october["open"].pk].on_time is None
    assert by_case[october["closed"].pk].status == "closed_without_opinion"
    assert report.summary == {
        "cases": 6,
        "issued": 4,
        "on_time": 2,
        "late": 2,
        "still_open": 1,
        "overdue": 1,
        "closed_without_opinion": 1,
        "on_time_share": 0.5,
        # minutes: -8, 0, 11, 5 -> median (0 + 5) / 2
        "median_minutes": 2.5,
        # to issue: 22, 30, 41, 35 -> (30 + 35) / 2
        "median_minutes_to_issue": 32.5,
    }


def test_an_open_case_before_its_deadline_is_open_not_overdue(jx):
    case = _case(jx, timezone.now() - 5 * MIN)
    assert punctuality.row_of(case, timezone.now()).status == "open"
    assert punctuality.row_of(case, case.due_at).status == "overdue"


def test_an_empty_month_has_no_median():
    report = punctuality.report([], month=dt.date(2026, 1, 1), now=timezone.now())
    assert report.summary["cases"] == 0
    assert report.median_minutes is None
    assert report.on_time_share is None


@pytest.mark.parametrize("value", ["2026-13", "2026-1", "26-10", "october", "2026-00", "1899-12", "2200-01"])
def test_a_bad_month_is_refused_naming_the_parameter(value):
    with pytest.raises(InvalidInput) as caught:
        punctuality.parse_month(value)
    assert caught.value.field == "month"


def test_no_month_is_this_beijing_month():
    assert punctuality.parse_month("") == dt.datetime.now(BEIJING).date().replace(day=1)
    assert punctuality.month_step(dt.date(2026, 1, 1), -1) == dt.date(2025, 12, 1)
    assert punctuality.month_step(dt.date(2026, 12, 1), 1) == dt.date(2027, 1, 1)


def test_the_api_gives_the_month_of_the_readers_bureau_and_400_for_a_bad_month(october, jx_forecaster, api):
    client = api(jx_forecaster)
    body = client.get("/api/v1/post-quake-cases/punctuality/?month=2026-10").json()
    assert body["month"] == "2026-10"
    assert body["summary"]["cases"] == 6
    assert body["summary"]["on_time"] == 2
    assert body["summary"]["median_minutes"] == 2.5
    assert october["other_bureau"].pk not in [row["id"] for row in body["cases"]]
    late = next(row for row in body["cases"] if row["id"] == october["late"].pk)
    assert late["minutes"] == 11.0
    assert late["on_time"] is False
    assert dt.datetime.fromisoformat(late["deadline"]) == october["late"].due_at
    bad = client.get("/api/v1/post-quake-cases/punctuality/?month=2026-13")
    assert bad.status_code == 400
    assert "month" in bad.json()["errors"]


def test_the_page_shows_the_rows_and_the_summary(october, jx_forecaster, nm_forecaster, client):
    client.force_login(jx_forecaster)
    page = client.get(reverse("postquake:punctuality") + "?month=2026-10")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-cases="6" data-on-time="2" data-late="2" data-still-open="1" data-median="2.5"' in html
    assert f'data-case="{october["late"].pk}" data-status="late" data-minutes="11.0"' in html
    assert f'data-case="{october["other_bureau"].pk}"' not in html
    assert client.get(reverse("postquake:punctuality") + "?month=2026-13").status_code == 400
    # the list page links to it
    assert reverse("postquake:punctuality") in client.get(reverse("postquake:case-list")).content.decode()
    # another bureau's reader sees its own month only
    client.force_login(nm_forecaster)
    html = client.get(reverse("postquake:punctuality") + "?month=2026-10").content.decode()
    assert 'data-cases="1"' in html


def test_the_cases_api_filters_by_bureau_among_what_the_reader_sees(october, jx_forecaster, sysadmin, api):
    jx_cases = api(jx_forecaster).get("/api/v1/post-quake-cases/?bureau=JX&page_size=50").json()
    assert jx_cases["count"] == 8
    # another bureau's code or an unknown one: nothing (as the other lists' bureau filters)
    assert api(jx_forecaster).get("/api/v1/post-quake-cases/?bureau=NM").json()["count"] == 0
    assert api(jx_forecaster).get("/api/v1/post-quake-cases/?bureau=ZZ").json()["count"] == 0
    # the system admin sees every bureau's and narrows them by code, with the status
    everyone = api(sysadmin)
    assert everyone.get("/api/v1/post-quake-cases/?page_size=50").json()["count"] == 9
    nm_cases = everyone.get("/api/v1/post-quake-cases/?bureau=NM").json()
    assert [row["id"] for row in nm_cases["results"]] == [october["other_bureau"].pk]
    issued = everyone.get("/api/v1/post-quake-cases/?bureau=JX&status=opinion_issued&page_size=50").json()
    assert issued["count"] == 6
    bad = api(jx_forecaster).get("/api/v1/post-quake-cases/?bureau=J%20X")
    assert bad.status_code == 400
    assert "bureau" in bad.json()["errors"]
