"""The year-end score against a constructed year of quakes equals the hand count.

Three zones over 2025 (rectangles with meridian and parallel edges, so the equal-area area of
each is exact: R² Δλ (sin φ1 − sin φ0)), eight quakes placed by hand, the scored region a
rectangle: each zone's hit, the target quakes, the quakes hit, τ and R = hits/N − τ are
counted below by hand and compared."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from catalog.models import Event
from portal.timefmt import BEIJING
from products.methods._common import EARTH_RADIUS_KM
from tests.factories import EventFactory
from zones import scoring, services
from zones.models import DangerZone

from .conftest import square

START = dt.datetime(2025, 1, 1, tzinfo=BEIJING)
END = dt.datetime(2026, 1, 1, tzinfo=BEIJING)
REGION = [(100.0, 20.0), (120.0, 20.0), (120.0, 40.0), (100.0, 40.0), (100.0, 20.0)]


def rect(lon0, lat0, lon1, lat1):
    return [(lon0, lat0), (lon1, lat0), (lon1, lat1), (lon0, lat1), (lon0, lat0)]


def area(lon0, lat0, lon1, lat1):
    return (
        EARTH_RADIUS_KM**2
        * math.radians(lon1 - lon0)
        * (math.sin(math.radians(lat1)) - math.sin(math.radians(lat0)))
    )


ZONES = [
    scoring.ZoneInput(
        key=1, ring=rect(114, 27, 116, 29), min_magnitude=5.0, max_magnitude=6.9, probability=0.8
    ),
    scoring.ZoneInput(
        key=2, ring=rect(102, 30, 104, 32), min_magnitude=6.0, max_magnitude=None, probability=0.5
    ),
    scoring.ZoneInput(
        key=3, ring=rect(110, 35, 112, 37), min_magnitude=5.5, max_magnitude=6.5, probability=0.2
    ),
]


def bj(month, day, hour=12):
    return dt.datetime(2025, month, day, hour, tzinfo=BEIJING)


QUAKES = [
    scoring.Quake(1, 115.0, 28.0, 5.4, bj(3, 1)),  # zone 1: in range, inside → hit
    scoring.Quake(2, 115.5, 28.5, 7.1, bj(4, 1)),  # zone 1: above its 6.9 → no hit (a target: M ≥ 5.0)
    scoring.Quake(3, 103.0, 31.0, 5.9, bj(5, 1)),  # zone 2: below its 6.0 → no hit (a target)
    scoring.Quake(4, 103.5, 31.5, 6.05, bj(6, 1)),  # zone 2: 6.05 reported 6.1 → hit
    scoring.Quake(5, 111.0, 36.0, 6.5, dt.datetime(2024, 12, 31, 23, 59, tzinfo=BEIJING)),  # the year before
    scoring.Quake(
        6, 111.0, 36.0, 6.5, dt.datetime(2026, 1, 1, 0, 0, tzinfo=BEIJING)
    ),  # the year after (end excluded)
    scoring.Quake(7, 108.0, 25.0, 5.2, bj(7, 1)),  # outside every zone (a target, missed)
    scoring.Quake(8, 116.0, 28.0, 4.9, bj(8, 1)),  # on zone 1's edge but below every minimum: not a target
]


def test_the_score_of_a_constructed_year_equals_the_hand_count():
    result = scoring.score_year(ZONES, QUAKES, start=START, end=END, region=REGION)
    # by hand: zone 1 hit by quake 1; zone 2 hit by quake 4; zone 3 not hit (5 and 6 outside the year)
    assert {k: v["hit"] for k, v in result["zones"].items()} == {1: True, 2: True, 3: False}
    assert result["zones"][1]["events"] == [1]
    assert result["zones"][2]["events"] == [4]
    year = result["year"]
    # targets: M ≥ 5.0 (the lowest minimum) within 2025 in the region: quakes 1, 2, 3, 4, 7
    assert year["n_events"] == 5
    # hit: 1 (zone 1) and 4 (zone 2); 2 above zone 1's range, 3 below zone 2's, 7 in none
    assert year["hits"] == 2
    assert (year["zones"], year["zones_hit"]) == (3, 2)
    tau = (area(114, 27, 116, 29) + area(102, 30, 104, 32) + area(110, 35, 112, 37)) / area(100, 20, 120, 40)
    # several zones: forecast_score takes their union on a 400 × 400 equal-area raster (1 %)
    assert year["alarm_fraction"] == pytest.approx(tau, rel=1e-2)
    assert year["R"] == pytest.approx(2 / 5 - year["alarm_fraction"], abs=1e-9)
    assert year["R"] == pytest.approx(2 / 5 - tau, abs=1e-3)
    assert year["R0"] is not None
    # Molchan: zones added by level (high, medium, low): (0,1) → zone 1 → zone 1+2 → all → (1,0)
    nus = [round(p[1], 6) for p in year["molchan"]]
    assert nus == [1.0, 0.8, 0.6, 0.6, 0.0]


def test_no_target_quake_leaves_r_null_with_the_reason():
    result = scoring.score_year(ZONES, QUAKES[4:6], start=START, end=END, region=REGION)
    assert result["year"]["R"] is None
    assert result["year"]["reason"]
    assert not any(v["hit"] for v in result["zones"].values())


@pytest.mark.django_db
def test_the_service_scores_each_live_zone_and_keeps_the_score(cenc, jx, cenc_chair, make_zone, as_actor):
    z1 = make_zone(cenc, year=2025, name="赣中", polygon=square(114, 27, 116, 29), min_m="5.0", max_m="6.9")
    z2 = make_zone(
        cenc,
        year=2025,
        name="川西",
        polygon=square(102, 30, 104, 32),
        min_m="6.0",
        max_m=None,
        level="medium",
    )
    draft = make_zone(cenc, year=2025, name="草稿", status="draft")
    for lon, lat, m, t in [
        (115.0, 28.0, 5.4, bj(3, 1)),
        (103.0, 31.0, 5.9, bj(5, 1)),
        (108.0, 25.0, 5.2, bj(7, 1)),
    ]:
        EventFactory(bureau=cenc, longitude=lon, latitude=lat, magnitude=m, origin_time=t)
    # the same quake catalogued by JX as well counts once
    EventFactory(bureau=jx, longitude=115.0, latitude=28.0, magnitude=5.4, origin_time=bj(3, 1))
    assert Event.objects.count() == 4
    count = services.zones_score_year(
        actor=as_actor(cenc_chair), bureau=cenc, year=2025, now=END + dt.timedelta(days=1)
    )
    assert count == 2
    z1.refresh_from_db()
    z2.refresh_from_db()
    draft.refresh_from_db()
    assert (z1.status, z1.hit, z2.status, z2.hit, draft.status) == ("scored", True, "scored", False, "draft")
    assert z1.score["year"]["n_events"] == 3
    assert z1.score["year"]["hits"] == 1
    assert [e["magnitude"] for e in z1.score["events"]] == [5.4]
    assert z1.score["year"] == z2.score["year"]


@pytest.mark.django_db
def test_scoring_waits_for_the_year_end_and_is_the_zones_bureaus(
    cenc, jx, cenc_chair, jx_forecaster, make_zone, as_actor
):
    from portal.exceptions import InvalidTransition, PermissionDenied

    make_zone(cenc, year=2025)
    with pytest.raises(InvalidTransition):
        services.zones_score_year(
            actor=as_actor(cenc_chair), bureau=cenc, year=2025, now=END - dt.timedelta(hours=1)
        )
    with pytest.raises(PermissionDenied):
        services.zones_score_year(actor=as_actor(jx_forecaster), bureau=cenc, year=2025, now=END)


@pytest.mark.django_db
def test_the_year_end_job_scores_every_bureau(cenc, jx, make_zone):
    from zones.tasks import zones_score_year_task

    make_zone(cenc, year=2025)
    make_zone(jx, year=2025, name="赣北")
    make_zone(jx, year=2025, name="撤回", status="withdrawn")
    assert zones_score_year_task.apply(kwargs={"year": 2025}).get() == {"CENC": 1, "JX": 1}
    assert DangerZone.objects.filter(status="scored").count() == 2
