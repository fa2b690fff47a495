"""Electromagnetism methods through the API on stored minute series: an electromagnetism
expert runs day_to_day_ratio over two stations' H and Z and finds the day built into both;
lurr with ``series`` runs its geomagnetic form; other disciplines' experts are refused."""

from __future__ import annotations

import numpy as np
import pytest

from observations.services.series_store import series_write
from tests.observations.factories import ChannelFactory, StationFactory, geomagnetic_item
from tests.products.em_synthetic import MINUTES, T0, component

DAYS = 14


@pytest.fixture
def em_expert(make_person, jx):
    return make_person("jx_em", (jx, "expert", "electromagnetism"))


@pytest.fixture
def geomagnetic(jx):
    """Two stations' H and Z channels, minute data; Beijing day 2025-01-09 has 4× the Z range."""
    channels = {}
    for i, code in enumerate(("JXM1", "JXM2")):
        station = StationFactory(bureau=jx, code=code, kind="geomagnetic")
        for element, base, amplitude in (("H", 35000.0, 30.0), ("Z", 40000.0, 12.0)):
            channel = ChannelFactory(station=station, item=geomagnetic_item(element), interval=60)
            values = component(DAYS, base, amplitude, seed=10 * i + len(element) + int(base) % 7)
            if element == "Z":
                day = slice(7 * MINUTES + 960, 8 * MINUTES + 960)
                values[day] = base + 4.0 * (values[day] - base)
            series_write(channel=channel, start=T0, values=values.astype(np.float32), actor=None)
            channels[(code, element)] = channel
    return channels


def _series(channels, keys):
    return [
        {
            "channel": channels[k].pk,
            "start": "2025-01-01T00:00:00Z",
            "end": f"2025-01-{DAYS + 1:02d}T00:00:00Z",
        }
        for k in keys
    ]


@pytest.mark.django_db
def test_day_to_day_ratio_through_the_api(api, em_expert, geomagnetic, django_capture_on_commit_callbacks):
    client = api(em_expert)
    keys = [("JXM1", "H"), ("JXM1", "Z"), ("JXM2", "H"), ("JXM2", "Z")]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/products/",
            {
                "method": "day_to_day_ratio",
                "params": {"min_stations": 2},
                "series": _series(geomagnetic, keys),
            },
            format="json",
        )
    assert response.status_code == 202
    run = client.get(f"/api/v1/products/{response.json()['id']}/").json()
    assert run["status"] == "succeeded", run["error"]
    assert run["result"]["alarms"] == [{"day": "2025-01-09", "count": 2, "stations": ["JXM1", "JXM2"]}]
    assert len(run["result"]["input_series"]) == 4
    assert run["figures"]


@pytest.mark.django_db
def test_lurr_with_series_runs_the_geomagnetic_form(
    api, em_expert, geomagnetic, django_capture_on_commit_callbacks
):
    client = api(em_expert)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/products/",
            {
                "method": "lurr",
                "params": {"window_days": 10, "step_days": 2, "min_days": 8},
                "series": _series(geomagnetic, [("JXM1", "Z")]),
            },
            format="json",
        )
    assert response.status_code == 202
    run = client.get(f"/api/v1/products/{response.json()['id']}/").json()
    assert run["status"] == "succeeded", run["error"]
    (station,) = run["result"]["stations"]
    assert station["station"] == "JXM1"
    assert len(station["y"]) == 3  # 15 Beijing days: windows ending on days 10, 12, 14
    assert all(0.5 < y < 2.0 for y in station["y"])  # noise alike in both phases


@pytest.mark.django_db
def test_a_fluid_expert_may_not_run_em_methods(api, jx_expert, geomagnetic):
    response = api(jx_expert).post(
        "/api/v1/products/",
        {"method": "diurnal_correlation", "series": _series(geomagnetic, [("JXM1", "H"), ("JXM2", "H")])},
        format="json",
    )
    assert response.status_code == 403
