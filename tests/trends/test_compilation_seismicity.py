"""The seismicity section against counts computed here from the events the test creates."""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon

from portal.tenancy import bureau_reader
from tests.factories import BureauFactory, EventFactory
from trends.compilation import CompileContext, compile_section, sections_for

if TYPE_CHECKING:
    from catalog.models import Event

UTC = dt.UTC
BJT = dt.timezone(dt.timedelta(hours=8))
OCTOBER = dt.date(2026, 10, 1)
# A triangle: its bounding box holds points it does not cover.
TRIANGLE = MultiPolygon(Polygon(((114.0, 25.0), (118.0, 25.0), (118.0, 29.5), (114.0, 25.0))), srid=4326)
LABELS = ["2.0–2.9", "3.0–3.9", "4.0–4.9", "5.0–5.9", "≥ 6.0"]


def band(magnitude: float | None) -> str | None:
    if magnitude is None:
        return None
    tenth = Decimal(str(magnitude)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if tenth < 2:
        return None
    return "≥ 6.0" if tenth >= 6 else LABELS[int(tenth) - 2]


def in_october(moment: dt.datetime) -> bool:
    local = moment.astimezone(BJT)
    return (local.year, local.month) == (2026, 10)


@pytest.fixture
def ts(db):
    return BureauFactory(code="TS", name_zh="三角局", jurisdiction=TRIANGLE)


@pytest.fixture
def other(db):
    return BureauFactory(code="OT", name_zh="别局")


def at(y, mo, d, h=0, mi=0, tz=UTC):
    return dt.datetime(y, mo, d, h, mi, tzinfo=tz)


@pytest.fixture
def catalog(ts, other):
    """Events around the triangle; returns them all (the expectations are computed from them)."""
    e = EventFactory
    rows = [
        # inside, October (Beijing time), magnitudes at the band edges
        e(bureau=ts, origin_time=at(2026, 10, 3, 2), longitude=117.0, latitude=26.0, magnitude=2.0),
        e(bureau=ts, origin_time=at(2026, 10, 4, 2), longitude=117.5, latitude=25.5, magnitude=2.9),
        e(bureau=ts, origin_time=at(2026, 10, 5, 2), longitude=116.0, latitude=25.4, magnitude=2.95),
        e(bureau=ts, origin_time=at(2026, 10, 6, 2), longitude=117.8, latitude=28.5, magnitude=3.0),
        e(bureau=ts, origin_time=at(2026, 10, 7, 2), longitude=115.2, latitude=25.2, magnitude=4.94),
        e(bureau=ts, origin_time=at(2026, 10, 8, 2), longitude=117.7, latitude=27.3, magnitude=5.95),
        e(bureau=ts, origin_time=at(2026, 10, 9, 2), longitude=116.8, latitude=25.9, magnitude=1.2),
        e(bureau=ts, origin_time=at(2026, 10, 9, 3), longitude=116.9, latitude=25.9, magnitude=None),
        # a sequence: a mainshock and an aftershock a day later, 5 km away
        e(bureau=ts, origin_time=at(2026, 10, 20, 8), longitude=116.5, latitude=26.5, magnitude=5.5),
        e(bureau=ts, origin_time=at(2026, 10, 21, 8), longitude=116.55, latitude=26.5, magnitude=3.4),
        # month edges: 2026-09-30 16:30 UTC is 10-01 00:30 BJT (October); 15:59 UTC is September
        e(bureau=ts, origin_time=at(2026, 9, 30, 16, 30), longitude=117.9, latitude=25.1, magnitude=3.3),
        e(bureau=ts, origin_time=at(2026, 9, 30, 15, 59), longitude=117.9, latitude=25.2, magnitude=3.3),
        e(bureau=ts, origin_time=at(2026, 10, 31, 15, 59), longitude=117.9, latitude=25.3, magnitude=2.4),
        e(bureau=ts, origin_time=at(2026, 10, 31, 16, 0), longitude=117.9, latitude=25.4, magnitude=2.4),
        # in the triangle's box, not in the triangle
        e(bureau=ts, origin_time=at(2026, 10, 10, 2), longitude=114.5, latitude=29.0, magnitude=4.5),
        # a deleted solution of the bureau's own
        e(
            bureau=ts,
            origin_time=at(2026, 10, 11, 2),
            longitude=117.0,
            latitude=25.6,
            magnitude=4.2,
            status="deleted",
        ),
        # the bureau's own unpublished event counts; another bureau's unpublished one does not
        e(
            bureau=ts,
            origin_time=at(2026, 10, 12, 2),
            longitude=117.2,
            latitude=26.8,
            magnitude=2.2,
            is_published=False,
        ),
        e(
            bureau=other,
            origin_time=at(2026, 10, 12, 3),
            longitude=117.2,
            latitude=26.9,
            magnitude=4.8,
            is_published=False,
        ),
        # another bureau's published event inside counts
        e(bureau=other, origin_time=at(2026, 10, 13, 2), longitude=117.6, latitude=28.0, magnitude=3.6),
        # outside the triangle, east of its vertical edge: about 50 km and 119 km away
        e(bureau=other, origin_time=at(2026, 10, 14, 2), longitude=118.5, latitude=27.0, magnitude=3.1),
        e(bureau=other, origin_time=at(2026, 10, 15, 2), longitude=119.2, latitude=27.0, magnitude=5.0),
        e(bureau=other, origin_time=at(2026, 11, 15, 2), longitude=118.5, latitude=27.2, magnitude=3.9),
        # the past ten years, for the mean: [2016-10-01 BJT, 2026-10-01 BJT)
        e(bureau=ts, origin_time=at(2020, 5, 1), longitude=117.0, latitude=26.0, magnitude=2.5),
        e(bureau=ts, origin_time=at(2018, 5, 1), longitude=117.0, latitude=26.0, magnitude=3.5),
        e(bureau=ts, origin_time=at(2016, 9, 30, 16, 30), longitude=117.0, latitude=26.0, magnitude=2.6),
        e(bureau=ts, origin_time=at(2016, 9, 30, 15, 0), longitude=117.0, latitude=26.0, magnitude=2.6),
        e(bureau=ts, origin_time=at(2026, 3, 1), longitude=117.0, latitude=26.0, magnitude=6.1),
    ]
    return rows


def counted(event: Event) -> bool:
    return (
        event.status != "deleted"
        and (event.is_published or event.bureau.code == "TS")
        and TRIANGLE.covers(Point(event.longitude, event.latitude, srid=4326))
    )


def compile_october(bureau):
    return compile_section(
        "seismicity", CompileContext(bureau=bureau, month=OCTOBER, reader=bureau_reader(bureau))
    )


def test_counts_and_means_match_the_events(ts, catalog):
    compiled = compile_october(ts)
    data = compiled.data
    mine = [e for e in catalog if counted(e) and in_october(e.origin_time)]
    expected = {label: sum(1 for e in mine if band(e.magnitude) == label) for label in LABELS}
    assert data["counts"] == expected
    assert data["counts"] == {"2.0–2.9": 4, "3.0–3.9": 5, "4.0–4.9": 1, "5.0–5.9": 1, "≥ 6.0": 1}
    assert data["n_events"] == len(mine) == compiled.n_events == 14
    past = [
        e
        for e in catalog
        if counted(e) and at(2016, 10, 1, tz=BJT) <= e.origin_time < at(2026, 10, 1, tz=BJT)
    ]
    means = {
        label: float(
            (Decimal(sum(1 for e in past if band(e.magnitude) == label)) / 120).quantize(
                Decimal("0.01"), rounding=ROUND_HALF_UP
            )
        )
        for label in LABELS
    }
    assert data["mean_counts"] == means
    assert data["mean_counts"]["2.0–2.9"] == 0.02  # 2020 and 2016-10-01 00:30 BJT, not 2016-09-30 23:00 BJT
    assert data["mean_years"] == 10
    json.dumps(data, allow_nan=False)  # plain JSON, as the section stores it


def test_largest_first_with_their_sequences(ts, catalog):
    data = compile_october(ts).data
    mine = [e for e in catalog if counted(e) and in_october(e.origin_time) and e.magnitude is not None]
    mine.sort(key=lambda e: (-e.magnitude, e.origin_time))
    assert [row["id"] for row in data["largest"]] == [e.public_id for e in mine[:10]]
    first = data["largest"][0]
    assert first["magnitude"] == 5.95
    assert first["origin_time"] == "2026-10-08T10:00:00+08:00"
    assert set(first) >= {"id", "origin_time", "magnitude", "location_name", "magnitude_type", "depth"}
    by_magnitude = {row["magnitude"]: row for row in data["largest"]}
    assert by_magnitude[5.5]["in_sequence"] is True
    assert by_magnitude[5.5]["sequence_size"] == 2
    assert by_magnitude[3.4]["in_sequence"] is True
    assert by_magnitude[5.95]["in_sequence"] is False
    assert by_magnitude[5.95]["sequence_size"] == 1


def test_quakes_outside_within_100_km_are_apart(ts, catalog):
    data = compile_october(ts).data
    assert data["n_outside"] == 1
    (row,) = data["outside"]
    assert row["magnitude"] == 3.1
    # the nearest edge is the meridian 118 E: the great circle to it on the catalog's sphere
    expected = math.asin(math.sin(math.radians(0.5)) * math.cos(math.radians(27.0))) * 6371.0088
    assert row["distance_km"] == pytest.approx(expected, abs=0.06)
    ids = {r["id"] for r in data["largest"]}
    assert row["id"] not in ids


def test_past_twelve_months_and_figures(ts, catalog):
    compiled = compile_october(ts)
    monthly = compiled.data["monthly"]
    assert next(m["month"] for m in monthly) == "2025-11"
    assert monthly[-1]["month"] == "2026-10"
    assert monthly[-1]["n_events"] == 14
    assert monthly[-1]["m2"] == 12
    september = next(m for m in monthly if m["month"] == "2026-09")
    assert september["n_events"] == 1
    march = next(m for m in monthly if m["month"] == "2026-03")
    assert march["m2"] == 1
    assert {f.name for f in compiled.figures} == {"epicentres", "m_t", "cumulative"}
    assert all(f.png.startswith(b"\x89PNG") for f in compiled.figures)
    assert (
        next(f.title for f in compiled.figures if f.name == "epicentres") == "本月震中分布"
    )  # Chinese first


def test_a_bureau_without_jurisdiction_counts_nothing(other, catalog):
    data = compile_october(other).data
    assert data["n_events"] == 0
    assert data["counts"] == dict.fromkeys(LABELS, 0)


def test_national_units_get_the_provinces_section(db):
    national = BureauFactory(code="NAT", kind="national")
    province = BureauFactory(code="PRV")
    assert [s.key for s in sections_for(national)][-1] == "provinces"
    assert "provinces" not in [s.key for s in sections_for(province)]
