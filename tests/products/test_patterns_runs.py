"""Seismicity patterns through the product engine: stored events in, result, figures and the
run page's table out."""

from __future__ import annotations

import numpy as np
import pytest
from django.test import Client

from products.models import ProductRun
from products.services import runs as run_services

pytestmark = pytest.mark.django_db


def _run(actor, capture, **request):
    with capture(execute=True):
        run = run_services.run_create(actor=actor, **request)
    run.refresh_from_db()
    return run


def test_a_swarm_in_stored_events_is_found_drawn_and_listed_in_beijing_time(
    jx, jx_forecaster, as_actor, make_events, django_capture_on_commit_callbacks
):
    # given: a year of background events and a swarm of 40 comparable events over 4 days
    # starting 2025-07-20 00:00 UTC near (115.5, 27.5)
    make_events(jx, 500, seed=3)
    rng = np.random.default_rng(4)
    mags = np.round(1.95 + rng.exponential(0.6, 40), 1).clip(max=2.9)
    mags[5], mags[30] = 3.2, 3.1
    offsets = np.concatenate([[200.0], 200.0 + np.sort(rng.uniform(0.01, 4.0, 39))])
    make_events(
        jx,
        40,
        seed=5,
        prefix="sw",
        mags=mags,
        lat=27.5 + rng.normal(0, 0.01, 40),
        lon=115.5 + rng.normal(0, 0.01, 40),
        times=offsets,
    )
    # when
    run = _run(
        as_actor(jx_forecaster),
        django_capture_on_commit_callbacks,
        method="swarm",
        params={},
        catalog={"jurisdiction": True},
    )
    # then
    assert run.status == ProductRun.Status.SUCCEEDED, run.error
    assert run.input_count == 540
    assert run.result["n_swarms"] == 1
    found = run.result["swarms"][0]
    assert found["n_events"] == 40
    assert found["delta_m"] == pytest.approx(0.1)
    assert found["first"] == "2025-07-20T00:00:00"
    assert run.figures == ["swarm.png", "swarm.svg"]
    client = Client()
    client.force_login(jx_forecaster)
    html = client.get(f"/products/runs/{run.pk}/").content.decode()
    assert 'id="run-patterns"' in html
    assert "2025-07-20 08:00" in html  # the first event in Beijing time


def test_gap_and_band_runs_succeed_with_their_maps(
    jx, jx_forecaster, as_actor, make_events, django_capture_on_commit_callbacks
):
    make_events(jx, 3000, seed=6, mags=np.full(3000, 3.0))
    actor = as_actor(jx_forecaster)
    gap = _run(
        actor,
        django_capture_on_commit_callbacks,
        method="seismic_gap",
        params={"cell": 0.25, "window_days": 365},
        catalog={"jurisdiction": True},
    )
    band = _run(
        actor,
        django_capture_on_commit_callbacks,
        method="seismic_band",
        params={"window_days": 365},
        catalog={"jurisdiction": True},
    )
    assert gap.status == ProductRun.Status.SUCCEEDED, gap.error
    assert band.status == ProductRun.Status.SUCCEEDED, band.error
    # a uniform catalog: no gap, no band, and each says which criteria it applied
    assert gap.result["n_gaps"] == 0
    assert band.result["n_bands"] == 0
    assert gap.result["criteria"]["min_size_km"] == 50.0
    assert gap.figures == ["seismic_gap.png", "seismic_gap.svg"]
    assert band.figures == ["seismic_band.png", "seismic_band.svg"]
    client = Client()
    client.force_login(jx_forecaster)
    html = client.get(f"/products/runs/{gap.pk}/").content.decode()
    assert 'id="run-patterns"' in html
