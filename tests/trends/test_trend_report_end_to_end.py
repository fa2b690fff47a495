"""A trend report asked for over HTTP and compiled by the real section compilers: the
seismicity counts, means and largest events equal what this test computes from its events."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

import pytest

from tests.factories import EventFactory
from trends.compilation import SECTION_KEYS

pytestmark = pytest.mark.django_db

BJT = dt.timezone(dt.timedelta(hours=8))
LABELS = ["2.0–2.9", "3.0–3.9", "4.0–4.9", "5.0–5.9", "≥ 6.0"]


def band(magnitude: float) -> str | None:
    if magnitude < 2.0:
        return None
    return LABELS[min(int(magnitude) - 2, 4)]


def test_the_api_report_counts_what_the_catalog_holds(
    api, jx, nm, jx_forecaster, django_capture_on_commit_callbacks
):
    # given: October 2026 events inside JX (one-decimal magnitudes), earlier years for the mean,
    # and events that must not count (outside the jurisdiction, September, November)
    rng = random.Random(11)  # noqa: S311 - reproducible test data, not secrets
    october = []
    for day in range(1, 32):
        magnitude = round(rng.uniform(1.0, 6.4), 1)
        when = dt.datetime(2026, 10, day, rng.randrange(24), tzinfo=BJT)
        october.append(
            EventFactory(
                bureau=jx,
                origin_time=when,
                longitude=rng.uniform(114, 118),
                latitude=rng.uniform(25, 29.5),
                magnitude=magnitude,
            )
        )
    history = [
        EventFactory(
            bureau=jx,
            origin_time=dt.datetime(2026 - years, 3, 5, tzinfo=BJT),
            longitude=116.0,
            latitude=27.0,
            magnitude=magnitude,
        )
        for years, magnitude in [(1, 2.5), (2, 3.1), (5, 4.4), (9, 2.2), (11, 5.0)]
    ]
    EventFactory(bureau=jx, origin_time=dt.datetime(2026, 10, 9, tzinfo=BJT), longitude=120.5, latitude=27.0)
    september = EventFactory(
        bureau=jx, origin_time=dt.datetime(2026, 9, 30, 23, 59, tzinfo=BJT), longitude=116.0, latitude=27.0
    )
    EventFactory(
        bureau=jx, origin_time=dt.datetime(2026, 11, 1, 0, 0, tzinfo=BJT), longitude=116.0, latitude=27.0
    )
    client = api(jx_forecaster)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post("/api/v1/trend-reports/", {"bureau": "JX", "month": "2026-10"}, format="json")
    body = client.get(f"/api/v1/trend-reports/{created.json()['id']}/").json()

    # then
    assert created.status_code == 202
    assert body["compile_status"] == "done"
    assert [s["key"] for s in body["sections"]] == SECTION_KEYS
    seismicity = body["sections"][0]["data"]
    expected = Counter(band(e.magnitude) for e in october)
    assert seismicity["counts"] == {label: expected.get(label, 0) for label in LABELS}
    assert seismicity["n_events"] == len(october)
    past = [*history, september]  # the 120 months before October 2026: from October 2016 on
    in_ten_years = Counter(
        band(e.magnitude) for e in past if e.origin_time >= dt.datetime(2016, 10, 1, tzinfo=BJT)
    )
    assert seismicity["mean_counts"] == {
        label: round(in_ten_years.get(label, 0) / 120, 2) for label in LABELS
    }
    largest = sorted(october, key=lambda e: -e.magnitude)[:10]
    assert [row["magnitude"] for row in seismicity["largest"]] == [e.magnitude for e in largest]
    assert {row["id"] for row in seismicity["largest"]} <= {e.public_id for e in october}
    pdf = client.get(f"/api/v1/trend-reports/{body['id']}/pdf/")
    assert pdf.status_code == 200
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
