"""LURR: the tidal strain derived from pysolid against Love-number theory, the seismic form's
Y on a catalog whose loading and unloading events are known, and the geomagnetic form on a
series whose response is doubled while the tide loads the fault."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from products.methods import registry, tides
from products.methods.errors import InsufficientData
from tests.products.em_synthetic import as_input, sq

LAT, LON = 30.0, 103.0
FAULT = {"strike": 30.0, "dip": 60.0, "rake": 90.0, "friction": 0.4}


def test_areal_strain_follows_the_love_numbers():
    # For the degree-2 tide u_r = h·W/g and u_h = l·∇W/g, so the areal strain at the
    # surface is (2h − 6l)·W/(g·R) = (2 − 6l/h)·u_r/R (Agnew 2015, Treatise on Geophysics
    # 2nd ed. vol. 3, "Earth tides", eq. for tidal strain); h = 0.6078, l = 0.0847 (IERS
    # 2010). At the equator the diurnal band, whose Love numbers the core resonance shifts,
    # vanishes, so one factor holds for the whole series.
    days = [dt.date(2024, 3, 1) + dt.timedelta(days=i) for i in range(15)]
    _, e_ee, e_nn, _, u_r = tides.surface_strain(0.0, LON, days)
    factor = np.polyfit(u_r / tides.EARTH_RADIUS_M, e_ee + e_nn, 1)[0]
    assert factor == pytest.approx(2 - 6 * 0.0847 / 0.6078, rel=0.02)
    assert 1e-9 < np.std(e_ee + e_nn) < 1e-7  # tidal strains are ~10⁻⁸


def _phase_times(days: list[dt.date], rising: bool) -> np.ndarray:
    """Times one minute into tide steps where the Coulomb stress rises (or falls)."""
    t, cfs = tides.coulomb_stress(LAT, LON, days, **FAULT)
    step = np.diff(t.astype(np.int64))
    rise = np.diff(cfs)
    ok = (step == 600) & ((rise > 0) if rising else (rise < 0))
    return t[:-1][ok] + np.timedelta64(60, "s")


def test_seismic_lurr_on_events_in_known_tidal_phases():
    rng = np.random.default_rng(4)
    early_days = [dt.date(2023, 1, 1) + dt.timedelta(days=i) for i in range(0, 270, 3)]
    late_days = [dt.date(2023, 11, 1) + dt.timedelta(days=i) for i in range(0, 60, 2)]
    load = _phase_times(late_days, rising=True)
    unload = _phase_times(late_days, rising=False)
    late = np.concatenate([rng.choice(load, 30, replace=False), rng.choice(unload, 10, replace=False)])
    both = np.concatenate([_phase_times(early_days, True), _phase_times(early_days, False)])
    early = rng.choice(both, 200, replace=False)
    times = np.concatenate([early, late])
    mags = np.concatenate([rng.uniform(2.0, 4.5, early.size), np.full(late.size, 4.0)])
    lat = LAT + rng.uniform(-0.2, 0.2, times.size)
    lat -= lat.mean() - LAT  # the tide is taken at the mean epicentre
    lon = np.full(times.size, LON)
    result = registry.run(
        "lurr",
        {"lat": lat, "lon": lon, "times": times, "magnitudes": mags},
        {**FAULT, "window_days": 70.0, "step_days": 30.0, "min_events": 10},
    )
    assert result["centre"] == {"lat": LAT, "lon": LON}
    # the last window holds only the late events: 30 loading, 10 unloading, all M 4
    assert (result["n_load"][-1], result["n_unload"][-1]) == (30, 10)
    assert result["y"][-1] == pytest.approx(3.0, abs=1e-9)
    assert result["n_events"] == 240
    json.dumps(result, allow_nan=False)
    figure = registry.figure("lurr", result, {"lat": lat})
    assert len(figure.axes[0].lines[0].get_xdata()) == len(result["y"])


def test_seismic_lurr_refuses_a_small_catalog():
    with pytest.raises(InsufficientData, match="at least 20 events"):
        registry.run(
            "lurr",
            {
                "lat": [LAT] * 5,
                "lon": [LON] * 5,
                "times": np.array(["2024-01-01"] * 5, dtype="datetime64[s]"),
                "magnitudes": [3.0] * 5,
            },
            {},
        )


def _em_series(days: int, gain: float) -> np.ndarray:
    rng = np.random.default_rng(9)
    start = np.datetime64("2025-01-01T00:00:00")
    minutes = start + np.arange(days * 1440) * np.timedelta64(60, "s")
    tide_days = tides.days_between(minutes[0], minutes[-1])
    t, cfs = tides.coulomb_stress(LAT, LON, tide_days, **FAULT)
    loading = tides.loading_at(minutes, t, cfs)
    # a daily variation (the method takes it out) and irregular variations ``gain`` times
    # larger while the tide loads the fault
    noise = rng.standard_normal(minutes.size) * np.where(loading, gain, 1.0)
    return 40000.0 + sq(days, 12.0) + noise


@pytest.mark.parametrize("gain", [1.0, 2.0])
def test_geomagnetic_lurr_recovers_a_response_doubled_in_loading(gain):
    values = _em_series(40, gain)
    part = as_input(values, item="GM_Z", lat=LAT, lon=LON)
    result = registry.run("lurr", {"series": [part]}, {**FAULT, "window_days": 30, "step_days": 5})
    (station,) = result["stations"]
    assert station["window_end"][-1] == "2025-02-10"
    for y in station["y"]:
        assert y == pytest.approx(gain, rel=0.1)
