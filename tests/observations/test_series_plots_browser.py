"""In Debian's Chromium: the station page plots its channel (a drawn canvas), marks the M4+ quake
nearby on the time axis and lists it, refetches at a finer resolution when a shorter span is
chosen; the anomaly page draws its channel around the onset, on a phone. No script error and
no Content-Security-Policy violation on the way."""

from __future__ import annotations

import datetime as dt
import threading
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from django.contrib.gis.geos import Point

from observations.services.series_store import series_write
from tests.observations.factories import ChannelFactory, StationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Registered through the DevTools protocol, which the page's policy does not govern.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""

# non-blank pixels of a plot's canvas (uPlot draws the series and axes there)
INKED = """(node) => {
  const canvas = node.querySelector("canvas");
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let inked = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) inked++;
  return inked;
}"""


def _in_thread(func):
    """Services broadcast with async_to_sync, which cannot run beside Playwright's event loop."""
    from django.db import connection

    out = {}

    def run() -> None:
        try:
            out["value"] = func()
        finally:
            connection.close()

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    return out["value"]


def _quake(bureau, public_id: str, when: dt.datetime, lon: float, lat: float, magnitude: float):
    from catalog.models import Event

    return Event.objects.create(
        bureau=bureau,
        public_id=public_id,
        origin_time=when,
        latitude=lat,
        longitude=lon,
        location=Point(lon, lat, srid=4326),
        depth_km=10.0,
        magnitude=magnitude,
        magnitude_type="ML",
        location_name=f"{public_id} 附近",
        status="reviewed",
        report_kind="catalog",
        is_published=True,
    )


@pytest.fixture
def plotted(jx):
    """JX-XS (115.9 E, 28.7 N) with 40 days of minute water levels (a 6-hour gap among them);
    an M4.6 24 km away 10 days ago, an M3.5 beside it and an M5.2 700 km away (neither shown)."""
    station = StationFactory(bureau=jx, code="JX-XS")
    channel = ChannelFactory(station=station)
    end = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    minutes = np.arange(40 * 1440)
    values = (-12.5 + 0.04 * np.sin(2 * np.pi * minutes / (12.42 * 60))).astype(np.float32)
    values[20 * 1440 : 20 * 1440 + 360] = np.nan
    series_write(channel=channel, start=end - timedelta(days=40), values=values, actor=None)
    ten_days_ago = dt.datetime.now(dt.UTC) - timedelta(days=10)
    _quake(jx, "near-m46", ten_days_ago, 116.0, 28.9, 4.6)
    _quake(jx, "near-m35", ten_days_ago + timedelta(hours=3), 116.0, 28.9, 3.5)
    _quake(jx, "far-m52", ten_days_ago, 110.0, 32.0, 5.2)
    return channel


def _watch(page):
    """Console errors, page errors and the series requests of a page, from now on."""
    seen = {"errors": [], "series": []}
    page.on("console", lambda m: seen["errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on(
        "request",
        lambda r: (
            seen["series"].append(parse_qs(urlsplit(r.url).query)) if "/api/v1/series/" in r.url else None
        ),
    )
    page.add_init_script(RECORD_VIOLATIONS)
    return seen


def test_station_page_plots_marks_the_quake_and_refetches_finer(browser_login, jx_viewer, plotted):
    page = browser_login(jx_viewer)
    seen = _watch(page)
    page.goto("/observations/stations/JX-XS/")
    plot = page.locator(f".series-plot[data-channel='{plotted.pk}']")
    page.wait_for_selector(f".series-plot[data-channel='{plotted.pk}'][data-state='ready']")
    # last 30 days by default: hourly means (720 points), never more than a few thousand
    assert plot.get_attribute("data-resolution") == "1h"
    assert seen["series"][-1]["resolution"] == ["1h"]
    assert plot.evaluate(INKED) > 1000

    page.wait_for_selector("#series-plot[data-quakes='1']")
    rows = page.locator(".series-quakes li")
    assert rows.count() == 1
    text = rows.first.inner_text()
    assert "ML 4.6" in text
    assert "near-m46 附近" in text
    assert "24 km" in text
    assert rows.first.locator("a").get_attribute("href") == "/events/near-m46/"

    # one day: minute samples (the channel's own, unaggregated), fetched again
    with page.expect_request(lambda r: "/api/v1/series/" in r.url and "resolution=raw" in r.url):
        page.click("[data-preset='day']")
    page.wait_for_selector(
        f".series-plot[data-channel='{plotted.pk}'][data-state='ready'][data-resolution='raw']"
    )
    span = seen["series"][-1]
    start = dt.datetime.fromisoformat(span["start"][0])
    end = dt.datetime.fromisoformat(span["end"][0])
    assert timedelta(hours=23, minutes=59) <= end - start <= timedelta(days=1, minutes=1)
    assert plot.evaluate(INKED) > 1000

    # a year: daily means; the radius shrinks to 50 km and the quake stays (24 km away)
    with page.expect_request(lambda r: "/api/v1/series/" in r.url and "resolution=1d" in r.url):
        page.click("[data-preset='year']")
    page.select_option(".series-radius", "50")
    page.wait_for_selector("#series-plot[data-quakes='1']")

    assert seen["errors"] == []
    assert page.evaluate("window.__csp") == []


def test_anomaly_page_draws_the_curve_around_the_onset_on_a_phone(
    browser_login, as_actor, jx_expert, plotted
):
    from disciplines.selectors import discipline_by_code
    from disciplines.services.anomalies import anomaly_report

    onset = dt.datetime.now(dt.UTC).replace(microsecond=0) - timedelta(days=12)
    anomaly = _in_thread(
        lambda: anomaly_report(
            actor=as_actor(jx_expert),
            discipline=discipline_by_code(code="fluid"),
            observation_item="水位",
            onset_at=onset,
            description="水位趋势转折",
            channel_id=plotted.pk,
        )
    )
    phone = browser_login(jx_expert, phone=True)
    seen = _watch(phone)
    phone.goto(f"/disciplines/anomalies/{anomaly.pk}/")
    phone.wait_for_selector(f".series-plot[data-channel='{plotted.pk}'][data-state='ready']")
    group = phone.locator("#series-plot")
    assert group.get_attribute("data-onset") == onset.strftime("%Y-%m-%dT%H:%M:%SZ")
    # onset - 60 days .. now: 72 days, hourly means
    first, last = group.get_attribute("data-range").split("/")
    assert dt.datetime.fromisoformat(first) == onset - timedelta(days=60)
    assert phone.locator(".series-plot").get_attribute("data-resolution") == "1h"
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    # a tap on "1 week" centres the week on the onset
    with phone.expect_request(lambda r: "/api/v1/series/" in r.url and "resolution=1h" in r.url):
        phone.tap("[data-preset='week']")
    first, last = group.get_attribute("data-range").split("/")
    assert dt.datetime.fromisoformat(first) == onset - timedelta(days=3, hours=12)
    assert dt.datetime.fromisoformat(last) == onset + timedelta(days=3, hours=12)
    phone.wait_for_selector("#series-plot[data-quakes='1']")  # the M4.6, two days after the onset

    assert seen["errors"] == []
    assert phone.evaluate("window.__csp") == []
