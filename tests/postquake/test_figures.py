"""The first draft's figures: the map's data (epicentre, zone, aftershocks, faults, focal
mechanisms), the magnitude-time plot, the cumulative number against Reasenberg–Jones, the
probability bars, the beach balls; each drawn as SVG with a text alternative."""

from __future__ import annotations

import datetime as dt
import math
import re

import numpy as np
import pytest
from django.contrib.gis.geos import LineString
from django.urls import reverse
from django.utils import timezone

from postquake import beachball, charts, science
from postquake.models import PostQuakeCase
from postquake.services import draft_build
from reports.models import GisFeature, GisLayer
from tests.factories import EventFactory

pytestmark = pytest.mark.django_db

MAGS = [4.2, 3.1, 3.5, 2.8, 3.0, 2.6]


@pytest.fixture
def sequence(jx):
    """An M6.0 an hour ago with six aftershocks, a foreshock, a fault nearby and a mechanism."""
    main = EventFactory(
        bureau=jx,
        magnitude=6.0,
        origin_time=timezone.now() - dt.timedelta(minutes=60),
        public_id="main",
        strike=30.0,
        dip=70.0,
        rake=170.0,
    )
    for i, mag in enumerate(MAGS):
        EventFactory(
            bureau=jx,
            magnitude=mag,
            origin_time=main.origin_time + dt.timedelta(minutes=5 * (i + 1)),
            longitude=115.02,
            latitude=28.01,
        )
    EventFactory(bureau=jx, magnitude=3.3, origin_time=main.origin_time - dt.timedelta(minutes=20))
    layer = GisLayer.objects.create(bureau=jx, name="断裂", kind="fault")
    GisFeature.objects.create(
        bureau=jx,
        layer=layer,
        name="宜丰-景德镇断裂",
        geometry=LineString((114.9, 27.9), (115.05, 28.0), (115.2, 28.2), srid=4326),
    )
    case = PostQuakeCase.objects.create(
        bureau=jx, event=main, opened_at=timezone.now(), clock_start=timezone.now(), due_at=timezone.now()
    )
    return draft_build(case_id=case.pk)


def test_the_draft_keeps_the_sequences_events_and_the_faults_trace_for_its_figures(sequence):
    seq = sequence.draft["sequence"]
    assert seq["events_total"] == 7
    assert [round(m, 1) for _t, _lon, _lat, m in seq["events"]] == [3.3, *MAGS]
    assert seq["events"][0][0] == pytest.approx(-20 / 1440, abs=1e-5)  # days, a foreshock before 0
    fault = sequence.draft["faults"]["faults"][0]
    assert fault["name"] == "宜丰-景德镇断裂"
    assert fault["geometry"]["type"] == "LineString"
    assert len(fault["geometry"]["coordinates"]) == 3


def test_the_map_has_the_epicentre_zone_aftershocks_fault_and_mechanism(sequence):
    data = charts.case_map(sequence, sequence.draft)
    assert (data["event"]["lat"], data["event"]["lon"]) == (28.0, 115.0)
    assert data["zone_km"] == 10.0
    assert len(data["aftershocks"]) == 6
    assert len(data["foreshocks"]) == 1
    assert [f["name"] for f in data["faults"]] == ["宜丰-景德镇断裂"]
    assert [(m["strike"], m["dip"], m["rake"]) for m in data["mechanisms"]] == [(30.0, 70.0, 170.0)]
    assert data["mechanisms"][0]["path"].count("M") == 3  # the disk and the two half-disks


def test_the_magnitude_time_plot_has_a_dot_per_event_and_the_mainshock(sequence):
    chart = charts.magnitude_time(sequence.draft)
    assert len(chart.dots) == 7
    assert chart.unit == "min"
    assert chart.main.magnitude == 6.0
    assert chart.bath == 4.8
    # later events lie to the right; larger ones higher
    xs = [d.x for d in chart.dots]
    assert xs == sorted(xs)
    by_mag = sorted(chart.dots, key=lambda d: d.magnitude)
    assert [d.y for d in by_mag] == sorted((d.y for d in by_mag), reverse=True)
    assert chart.main.x < chart.dots[1].x
    assert chart.dots[0].x < chart.main.x  # the foreshock before the mainshock


def test_the_cumulative_plot_counts_from_the_smallest_aftershock_against_the_rj_expectation(sequence):
    chart = charts.cumulative(sequence.draft)
    assert (chart.reference, chart.reference_rule) == (2.6, "smallest")
    assert chart.observed.end_value == 6.0
    # a step line: two points per aftershock, the start and the end
    assert len(chart.observed.points.split()) == 2 * 6 + 2
    [generic] = chart.expected
    assert generic.source == "generic"
    elapsed = sequence.draft["elapsed_days"]
    expected = science.rj_expected(2.6, 6.0, 0.0, elapsed, science.GENERIC)
    assert generic.end_value == pytest.approx(round(expected, 1))
    # N(t) never decreases: the curve's y (SVG, downwards) never goes up
    ys = [float(p.split(",")[1]) for p in generic.points.split()]
    assert ys == sorted(ys, reverse=True)


def test_the_reference_magnitude_is_the_completeness_once_there_are_enough_aftershocks():
    rng = np.random.default_rng(3)
    events = [[0.01 * i, 115.0, 28.0, round(2.0 + float(rng.exponential(1 / 2.3)), 1)] for i in range(1, 200)]
    draft = {"event": {"event": {"magnitude": 6.5}}, "sequence": {"events": events}}
    reference, rule = charts.reference_magnitude(draft, 6.5)
    assert rule == "mc"
    assert 2.0 <= reference <= 2.5
    fitted = {**draft, "probabilities": {"fitted": {"mc": 2.7}}}
    assert charts.reference_magnitude(fitted, 6.5) == (2.7, "fitted_mc")
    assert charts.reference_magnitude({"event": {"event": {"magnitude": 5.0}}}, 5.0) == (
        3.0,
        "mainshock_minus_2",
    )


def test_the_probability_chart_has_a_bar_per_threshold_and_window(sequence):
    chart = charts.probability_bars(sequence.draft)
    rows = sequence.draft["probabilities"]["probabilities"]
    assert len(chart.bars) == len(rows) == 6  # M>=5 and M>=6 (M>=Mm-1 is 5.0), 3 windows
    assert [g.text for g in chart.groups] == ["M≥5", "M≥6"]
    for bar, row in zip(chart.bars, rows, strict=True):
        assert (bar.min_magnitude, bar.days, bar.probability) == (
            row["min_magnitude"],
            row["days"],
            row["probability"],
        )
        assert bar.height == pytest.approx(
            row["probability"] * (chart.frame.bottom - chart.frame.top), abs=0.02
        )
    # a fitted table adds its bars beside the generic ones
    fitted = {**sequence.draft["probabilities"], "fitted": {"probabilities": rows, "parameters": {}}}
    assert len(charts.probability_bars({**sequence.draft, "probabilities": fitted}).bars) == 12


def test_the_case_page_draws_every_figure_with_its_text(sequence, jx_forecaster, client):
    client.force_login(jx_forecaster)
    html = client.get(reverse("postquake:case-detail", kwargs={"case_id": sequence.pk})).content.decode()
    mt = re.search(r'<figure class="mb-2" id="figure-magnitude-time">(.*?)</figure>', html, re.S).group(1)
    assert mt.count('<circle class="dot"') == 7
    assert 'class="mainshock"' in mt
    assert "<figcaption" in mt
    cum = re.search(r'id="figure-cumulative">(.*?)</figure>', html, re.S).group(1)
    assert cum.count('class="observed"') == 1
    assert cum.count('class="expected"') == 1
    assert 'data-observed="6"' in cum
    bars = re.search(r'id="figure-probabilities">(.*?)</figure>', html, re.S).group(1)
    assert bars.count('<rect class="bar"') == 6
    assert 'data-aftershocks="6" data-faults="1" data-mechanisms="1"' in html
    assert 'id="case-map-data"' in html
    assert "postquake/case_map.js" in html
    assert html.count('class="beachball') == 1
    # every figure says what it shows without the picture
    for figure in ("figure-map", "figure-magnitude-time", "figure-cumulative", "figure-probabilities"):
        block = re.search(rf'id="{figure}">(.*?)</figure>', html, re.S).group(1)
        assert 'role="img"' in block
        assert "aria-label=" in block
        assert re.search(r"<figcaption[^>]*>\s*\S", block)


def test_a_draft_made_before_figures_still_renders(jx, jx_forecaster, client):
    main = EventFactory(bureau=jx, magnitude=5.5)
    old = {"elapsed_days": 0.01, "event": {"event": {"magnitude": 5.5}}, "sequence": {"count": 0}}
    case = PostQuakeCase.objects.create(
        bureau=jx,
        event=main,
        opened_at=timezone.now(),
        clock_start=timezone.now(),
        due_at=timezone.now(),
        draft=old,
    )
    client.force_login(jx_forecaster)
    response = client.get(reverse("postquake:case-detail", kwargs={"case_id": case.pk}))
    assert response.status_code == 200
    assert 'id="figure-magnitude-time"' in response.content.decode()


# --- beach balls -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mechanism", "trend", "plunge", "up"),
    [
        ((0, 45, 90), 0, 90, True),  # a thrust: the centre (straight down) is compressional
        ((0, 45, -90), 0, 90, False),  # a normal fault: dilatational in the centre
        ((0, 90, 0), 45, 0, True),  # left-lateral on a N-S fault: NE pushed
        ((0, 90, 0), 135, 0, False),  # ... SE pulled
        ((0, 90, 180), 45, 0, False),  # right-lateral: the other way round
    ],
)
def test_first_motions_follow_aki_and_richards(mechanism, trend, plunge, up):
    assert beachball.compressional(*mechanism, trend, plunge) is up


def test_the_projection_is_equal_area_with_the_rim_at_one():
    assert beachball.project(beachball.ray(0, 90)) == pytest.approx((0.0, 0.0))
    assert beachball.project(beachball.ray(90, 0)) == pytest.approx((1.0, 0.0))  # east, on the rim
    # 45° plunge: r = √2 sin(22.5°)
    assert math.hypot(*beachball.project(beachball.ray(0, 45))) == pytest.approx(
        math.sqrt(2) * math.sin(math.pi / 8)
    )


@pytest.mark.parametrize(
    "mechanism",
    [
        (0, 45, 90),
        (0, 90, 0),
        (30, 60, -90),
        (123, 71, 170),
        (0, 90, 90),
        (200, 10, 45),
        (45, 0, 0),
        (310, 33, -27),
    ],
)
def test_the_drawn_quadrants_are_the_compressional_ones(mechanism):
    """Points of the disk (away from the nodal planes) are shaded exactly where the first
    motion is compressional, vertical and horizontal planes included."""
    polys = beachball.polygons(*mechanism)
    n, u = beachball.fault_vectors(*mechanism)
    rng = np.random.default_rng(7)
    checked = 0
    for _ in range(600):
        x, y = (float(v) for v in rng.uniform(-1, 1, 2))
        if x * x + y * y > 0.97:
            continue
        v = beachball.unproject(x, y)
        rn, ru = sum(a * b for a, b in zip(v, n, strict=True)), sum(a * b for a, b in zip(v, u, strict=True))
        if min(abs(rn), abs(ru)) < 0.03:
            continue
        checked += 1
        assert beachball.inside_evenodd(polys, x, y) is (rn * ru > 0), (x, y)
    assert checked > 300


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_phone_the_map_and_figures_fit_the_screen(browser_login, sequence, jx_forecaster, tmp_path):
    from playwright.sync_api import expect

    page = browser_login(jx_forecaster, phone=True)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(sequence.get_absolute_url())
    expect(page.locator("#case-map")).to_have_attribute("data-case-map-ready", "1")
    # six aftershocks and one foreshock as circles, the zone circle, the fault's line
    assert page.locator("#case-map path.leaflet-interactive").count() >= 9
    assert page.locator("#case-map .postquake-beachball").count() == 1
    assert page.locator("#case-map .postquake-epicentre").count() == 1
    for figure in ("#figure-magnitude-time", "#figure-cumulative", "#figure-probabilities"):
        box = page.locator(f"{figure} svg").bounding_box()
        assert box is not None
        assert 300 <= box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(tmp_path / "postquake-figures-phone.png"), full_page=True)
    assert errors == []


def test_a_long_sequence_keeps_every_event_above_a_magnitude(jx, monkeypatch):
    """Beyond the cap the draft keeps the events above the cut, all of them: the cumulative
    count from the smallest kept magnitude stays exact."""
    from postquake.services import draft as draft_module

    monkeypatch.setattr(draft_module, "MAX_FIGURE_EVENTS", 4)
    main = EventFactory(bureau=jx, magnitude=6.0, origin_time=timezone.now() - dt.timedelta(hours=2))
    for i, mag in enumerate([2.5, 3.0, 3.0, 3.0, 3.4, 4.1, 2.8]):
        EventFactory(bureau=jx, magnitude=mag, origin_time=main.origin_time + dt.timedelta(minutes=i + 1))
    case = PostQuakeCase.objects.create(
        bureau=jx, event=main, opened_at=timezone.now(), clock_start=timezone.now(), due_at=timezone.now()
    )
    draft = draft_build(case_id=case.pk).draft
    seq = draft["sequence"]
    assert seq["events_total"] == 7
    # the 4th largest is 3.0, tied three times: those above it are kept, all of them
    assert [m for _t, _lon, _lat, m in seq["events"]] == [3.4, 4.1]
    assert seq["events_min_magnitude"] == 3.4
    # counted from the smallest kept magnitude, not from the smallest aftershock (2.5)
    assert charts.reference_magnitude(draft, 6.0) == (3.4, "kept")
