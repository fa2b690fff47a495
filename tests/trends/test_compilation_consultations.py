"""Last month's forecast scored, the monthly meeting and the next month's opinion."""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import Decimal

import pytest

from consultations.models import Conclusion, Forecast, Vote
from consultations.services.report_workflow import meeting_snapshot
from portal.tenancy import bureau_reader
from tests.factories import (
    ConsultationReportFactory,
    DisciplineOpinionFactory,
    EventFactory,
    MeetingFactory,
    UserFactory,
    box,
)
from trends.compilation import CompileContext, compile_section

BJT = dt.timezone(dt.timedelta(hours=8))
OCTOBER = dt.date(2026, 10, 1)
JX_BOX = (113.5, 24.5, 118.5, 30.1)  # the jx fixture's jurisdiction


def compile_october(key, bureau):
    return compile_section(key, CompileContext(bureau=bureau, month=OCTOBER, reader=bureau_reader(bureau)))


def monthly_meeting(bureau, starts_at, *, closed=True, title="月会商"):
    return MeetingFactory(
        bureau=bureau,
        kind="monthly",
        title=title,
        starts_at=starts_at,
        status="closed" if closed else "scheduled",
        closed_at=starts_at + dt.timedelta(hours=3) if closed else None,
    )


def add_forecast(meeting, bounds, start, end, low, high=None, likelihood="medium"):
    conclusion, _ = Conclusion.objects.get_or_create(
        meeting=meeting, defaults={"bureau": meeting.bureau, "text": "未来一个月发生5级地震的可能性不大"}
    )
    return Forecast.objects.create(
        conclusion=conclusion,
        bureau=meeting.bureau,
        window_start=start,
        window_end=end,
        region=box(*bounds),
        min_magnitude=Decimal(low),
        max_magnitude=Decimal(high) if high is not None else None,
        likelihood=likelihood,
    )


def issue(meeting, status="issued"):
    return ConsultationReportFactory(meeting=meeting, status=status, content=meeting_snapshot(meeting))


def equal_area(lon0, lat0, lon1, lat1):
    """Area of a lon/lat box on the cylindrical equal-area projection (R = 1)."""
    return math.radians(lon1 - lon0) * (math.sin(math.radians(lat1)) - math.sin(math.radians(lat0)))


F1 = (115.0, 27.0, 116.0, 28.0)
F2 = (117.0, 25.0, 118.0, 26.0)


@pytest.fixture
def scored(jx):
    october = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    september = monthly_meeting(jx, dt.datetime(2026, 9, 25, 9, tzinfo=BJT))
    add_forecast(september, F1, *october, "4.0", "5.9")
    add_forecast(september, F2, *october, "5.0", likelihood="high")
    add_forecast(september, F2, dt.date(2026, 11, 1), dt.date(2026, 12, 31), "5.0")  # not this month
    issue(september)
    # an older issued monthly report, a later draft one, and an issued one of October's meeting
    august = monthly_meeting(jx, dt.datetime(2026, 8, 25, 9, tzinfo=BJT), title="八月")
    add_forecast(august, (113.6, 24.6, 118.4, 30.0), *october, "3.0")
    issue(august)
    draft = monthly_meeting(jx, dt.datetime(2026, 9, 28, 9, tzinfo=BJT), title="草稿")
    add_forecast(draft, (113.6, 24.6, 118.4, 30.0), *october, "3.0")
    issue(draft, status="draft")
    own_month = monthly_meeting(jx, dt.datetime(2026, 9, 30, 16, 30, tzinfo=dt.UTC), title="十月")
    add_forecast(own_month, (113.6, 24.6, 118.4, 30.0), *october, "3.0")
    issue(own_month)
    quakes = {
        "hit": EventFactory(
            bureau=jx,
            origin_time=dt.datetime(2026, 10, 10, tzinfo=BJT),
            longitude=115.5,
            latitude=27.5,
            magnitude=4.5,
        ),
        "missed": EventFactory(
            bureau=jx,
            origin_time=dt.datetime(2026, 10, 11, tzinfo=BJT),
            longitude=114.0,
            latitude=29.0,
            magnitude=4.2,
        ),
        "small": EventFactory(
            bureau=jx,
            origin_time=dt.datetime(2026, 10, 12, tzinfo=BJT),
            longitude=115.5,
            latitude=27.5,
            magnitude=3.5,
        ),
        "too_big": EventFactory(
            bureau=jx,
            origin_time=dt.datetime(2026, 10, 13, tzinfo=BJT),
            longitude=115.6,
            latitude=27.6,
            magnitude=6.2,
        ),
        "september": EventFactory(
            bureau=jx,
            origin_time=dt.datetime(2026, 9, 30, 15, tzinfo=dt.UTC),
            longitude=115.5,
            latitude=27.5,
            magnitude=4.8,
        ),
    }
    return {"september": september, "quakes": quakes}


def test_last_forecast_scored(jx, scored):
    compiled = compile_october("last_forecast", jx)
    data = compiled.data
    assert data["report"]["meeting"] == scored["september"].pk
    assert len(data["forecasts"]) == 2
    assert data["n_forecasts_outside_month"] == 1
    assert [f["hit"] for f in data["forecasts"]] == [True, False]
    assert data["hits"] == 1
    assert data["false_alarms"] == 1
    q = scored["quakes"]
    assert {row["id"] for row in data["quakes"]} == {
        q["hit"].public_id,
        q["missed"].public_id,
        q["too_big"].public_id,
    }
    assert data["misses"] == 2
    assert data["outside_regions"] == 1  # the M6.2 lies in F1's region, above its range
    assert compiled.n_events == 3
    alarm = (equal_area(*F1) + equal_area(*F2)) / equal_area(*JX_BOX)
    # two alarms at once: forecast.py takes their union on a 400 x 400 raster (0.5 % here)
    assert data["alarm_fraction"] == pytest.approx(alarm, rel=5e-3)
    assert data["r_score"] == pytest.approx(1 / 3 - data["alarm_fraction"], abs=1e-9)
    assert data["r_score"] == pytest.approx(1 / 3 - alarm, abs=1e-3)
    assert data["forecasts"][0]["region"]["type"] == "MultiPolygon"
    assert compiled.figures[0].png.startswith(b"\x89PNG")
    json.dumps(data, allow_nan=False)  # plain JSON, as the section stores it


def test_no_quake_no_r_score(jx):
    september = monthly_meeting(jx, dt.datetime(2026, 9, 25, 9, tzinfo=BJT))
    add_forecast(september, F1, dt.date(2026, 10, 1), dt.date(2026, 10, 31), "5.0")
    issue(september)
    data = compile_october("last_forecast", jx).data
    assert data["r_score"] is None
    assert data["reason"]
    assert data["false_alarms"] == 1
    assert data["hits"] == 0


def test_no_issued_report(jx):
    data = compile_october("last_forecast", jx).data
    assert data["state"] == "none"
    assert data["r_score"] is None


@pytest.fixture
def october_meeting(jx, disciplines):
    meeting = monthly_meeting(jx, dt.datetime(2026, 10, 28, 9, tzinfo=BJT))
    DisciplineOpinionFactory(
        meeting=meeting, discipline=disciplines["fluid"], summary="水位正常", likelihood="low"
    )
    DisciplineOpinionFactory(meeting=meeting, discipline=disciplines["seismology"], summary="b 值偏低")
    add_forecast(meeting, F1, dt.date(2026, 11, 1), dt.date(2026, 11, 30), "5.0", likelihood="high")
    add_forecast(meeting, F2, dt.date(2027, 1, 1), dt.date(2027, 1, 31), "5.0")
    for name, choice in (("v1", "agree"), ("v2", "agree"), ("v3", "abstain")):
        Vote.objects.create(meeting=meeting, user=UserFactory(username=name), choice=choice)
    return meeting


def test_meeting_section_when_closed(jx, october_meeting):
    compiled = compile_october("meeting", jx)
    data = compiled.data
    assert data["state"] == "closed"
    assert data["meeting"]["id"] == october_meeting.pk
    assert sorted(o["discipline"] for o in data["opinions"]) == ["fluid", "seismology"]
    assert data["conclusion"] == "未来一个月发生5级地震的可能性不大"
    assert len(data["forecasts"]) == 2
    assert data["votes"] == {"agree": 2, "disagree": 0, "abstain": 1}
    assert compiled.figures[0].png.startswith(b"\x89PNG")


def test_opinion_takes_the_forecasts_of_the_next_month(jx, october_meeting):
    compiled = compile_october("opinion", jx)
    assert compiled.data["next_month"] == "2026-11"
    assert [f["window_start"] for f in compiled.data["forecasts"]] == ["2026-11-01"]
    assert compiled.figures[0].png.startswith(b"\x89PNG")


def test_meeting_pending_then_none(jx):
    meeting = monthly_meeting(jx, dt.datetime(2026, 10, 28, 9, tzinfo=BJT), closed=False)
    assert compile_october("meeting", jx).data["state"] == "pending"
    assert compile_october("opinion", jx).data["state"] == "pending"
    meeting.delete()
    # a meeting of 11-01 00:00 BJT belongs to November
    monthly_meeting(jx, dt.datetime(2026, 10, 31, 16, 0, tzinfo=dt.UTC))
    data = compile_october("meeting", jx).data
    assert data["state"] == "none"
    assert data["message"]
