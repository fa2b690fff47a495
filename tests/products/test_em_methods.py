"""The electromagnetism methods on synthetic minute data with known injected effects:
the night value and station differences, the day-to-day ratio with its station count and
the FMI K index on a synthetic storm, the Z/H amplitude ratio at a period, and the
diurnal correlation of identical and opposite curves."""

from __future__ import annotations

import json

import numpy as np
import pytest

from products.methods import registry
from products.methods.electromagnetism.kindex import k_from_range, k_index
from products.methods.errors import InsufficientData
from tests.products.em_synthetic import MINUTES, as_input, component

DAYS = 30


def _station(code: str, seed: int, *, z_scale: float = 1.0, days: int = DAYS, channel: int = 1):
    h = component(days, 35000.0, 30.0, seed=seed)
    z = component(days, 40000.0, 12.0 * z_scale, seed=seed + 100)
    return (
        as_input(h, station=code, item="GM_H", channel=channel),
        as_input(z, station=code, item="GM_Z", channel=channel + 1),
    )


def test_daily_value_is_the_night_mean_and_differences_remove_a_common_field():
    days = 20
    common = np.repeat(np.linspace(0.0, 50.0, days), MINUTES)  # an external field seen by both
    a = component(days, 35000.0, 30.0, seed=1, noise=0.0) + common
    b = component(days, 35100.0, 30.0, seed=2, noise=0.0) + common
    b[10 * MINUTES - 480 :] += 7.0  # a step at station B from Beijing day 10
    result = registry.run(
        "daily_value",
        {"series": [as_input(a, station="A", item="GM_H"), as_input(b, station="B", item="GM_H", channel=2)]},
        {"min_days": 5},
    )
    # Beijing day 1 (2025-01-02) night: UT 16:00-20:00 of Jan 1, where the synthetic Sq is 0
    assert result["days"][1] == "2025-01-02"
    # (and the common field of UT day 0); day 5's night lies in UT day 4
    assert result["stations"][0]["values"][1] == pytest.approx(35000.0, abs=1e-6)
    assert result["stations"][0]["values"][5] == pytest.approx(35000.0 + 50.0 * 4 / 19, abs=1e-4)
    diff = result["differences"][0]
    assert diff["reference"] == "A"
    assert diff["values"][5] == pytest.approx(100.0, abs=1e-6)
    assert diff["values"][12] == pytest.approx(107.0, abs=1e-6)
    json.dumps(result, allow_nan=False)


def test_day_to_day_ratio_counts_the_stations_over_threshold_on_the_injected_day():
    series = []
    for i, code in enumerate(("S1", "S2", "S3", "S4", "S5")):
        h, z = _station(code, seed=10 + i, channel=10 * i)
        if code in ("S1", "S2", "S4"):
            # Beijing day 12 (UT 16:00 of day 11 to 16:00 of day 12): Z range ×4
            day = slice(11 * MINUTES + 960, 12 * MINUTES + 960)
            z.values[day] = 40000.0 + 4.0 * (z.values[day] - 40000.0)
        series += [h, z]
    result = registry.run("day_to_day_ratio", {"series": series}, {"threshold": 3.0, "min_stations": 3})
    day12 = result["days"].index("2025-01-13")
    assert result["stations_over"][day12] == 3
    assert result["alarms"] == [{"day": "2025-01-13", "count": 3, "stations": ["S1", "S2", "S4"]}]
    assert sum(result["stations_over"]) == 3
    ratio = result["stations"][0]["ratio"][day12]
    assert ratio == pytest.approx(4.0, rel=0.05)
    json.dumps(result, allow_nan=False)


def test_day_to_day_ratio_leaves_out_a_storm_day_found_by_the_k_index():
    h, z = _station("S1", seed=3)
    storm = slice(15 * MINUTES + 600, 15 * MINUTES + 700)  # UT day 15, 10:00-11:40
    h.values[storm] -= 300.0 * np.sin(np.pi * np.arange(100) / 100)
    z.values[storm] += 200.0 * np.sin(np.pi * np.arange(100) / 100)  # the storm's Z range
    result = registry.run("day_to_day_ratio", {"series": [h, z]}, {"min_stations": 1})
    station = result["stations"][0]
    storm_day = result["days"].index("2025-01-16")  # 10:00 UT is 18:00 Beijing time
    assert station["k_max"][storm_day] == 7
    assert station["disturbed_days"] == 1
    assert station["ratio"][storm_day] is None
    assert station["ratio"][storm_day - 1] is None
    assert result["alarms"] == []
    # without the K index the storm day would be an alarm
    plain = registry.run("day_to_day_ratio", {"series": [h, z]}, {"min_stations": 1, "disturbed": "none"})
    assert [a["day"] for a in plain["alarms"]] == ["2025-01-16"]


def test_k_index_on_a_synthetic_storm_and_the_scale():
    assert list(k_from_range(np.array([0.0, 4.9, 5.0, 69.0, 70.0, 499.0, 500.0, 900.0]), 500.0)) == [
        0,
        0,
        1,
        4,
        5,
        8,
        9,
        9,
    ]
    assert list(k_from_range(np.array([35.0, np.nan]), 350.0)) == [4, -1]  # 40 nT × 350/500 = 28
    h = component(4, 35000.0, 30.0, seed=5)
    h[2 * MINUTES + 600 : 2 * MINUTES + 700] -= 300.0 * np.sin(np.pi * np.arange(100) / 100)
    k = k_index(h, 500.0).reshape(4, 8)
    assert k[2, 3] == 7  # 300 nT in block 09-12 UT
    quiet = np.delete(k.reshape(-1), [2 * 8 + 2, 2 * 8 + 3, 2 * 8 + 4])
    assert quiet.max() <= 1  # the 30 nT Sq is taken out by the FMI curve


def test_harmonic_amplitude_ratio_recovers_an_injected_transfer_at_a_period():
    days = 24
    rng = np.random.default_rng(7)
    minute = np.arange(days * MINUTES, dtype=float)
    h = 35000.0 + 2.0 * np.sin(2 * np.pi * minute / 20.0) + 0.05 * rng.standard_normal(minute.size)
    z = 40000.0 + 0.3 * np.sin(2 * np.pi * minute / 20.0 + 0.4) + 0.05 * rng.standard_normal(minute.size)
    late = minute >= 12 * MINUTES - 480  # Beijing day 12 on: the ratio rises to 0.6
    z[late] = (
        40000.0 + 0.6 * np.sin(2 * np.pi * minute[late] / 20.0 + 0.4) + 0.05 * rng.standard_normal(late.sum())
    )
    series = [as_input(h, item="GM_H"), as_input(z, item="GM_Z", channel=2)]
    result = registry.run(
        "harmonic_amplitude_ratio",
        {"series": series},
        {"period_min": 19.0, "period_max": 21.0, "min_days": 5},
    )
    station = result["stations"][0]
    assert station["periods_min"] == [20.0]
    ratio = station["ratio"]
    assert ratio[5] == pytest.approx(0.15, rel=0.03)
    assert ratio[18] == pytest.approx(0.30, rel=0.03)
    assert station["slope_per_year"] > 0
    json.dumps(result, allow_nan=False)


def test_diurnal_correlation_of_identical_and_of_opposite_curves():
    a = component(DAYS, 35000.0, 30.0, seed=1, noise=0.0)
    same = registry.run(
        "diurnal_correlation",
        {"series": [as_input(a, station="A", item="GM_H"), as_input(a + 120.0, station="B", item="GM_H")]},
        {},
    )
    finite = [r for r in same["r"] if r is not None]
    assert finite
    assert all(r == pytest.approx(1.0, abs=1e-9) for r in finite)
    assert same["low_days"] == []
    b = 35000.0 - (a - 35000.0)
    b[10 * MINUTES - 480 : 11 * MINUTES - 480] = 35000.0 + (
        a[10 * MINUTES - 480 : 11 * MINUTES - 480] - 35000.0
    )
    opposite = registry.run(
        "diurnal_correlation",
        {"series": [as_input(a, station="A", item="GM_H"), as_input(b, station="B", item="GM_H")]},
        {"r_threshold": 0.0},
    )
    assert opposite["r"][5] == pytest.approx(-1.0, abs=1e-9)
    assert opposite["r"][10] == pytest.approx(1.0, abs=1e-9)


def test_methods_refuse_short_or_unpaired_input():
    _h, z = _station("S1", seed=1, days=3)
    with pytest.raises(InsufficientData, match="at least 10 days"):
        registry.run("daily_value", {"series": [z]}, {})
    with pytest.raises(InsufficientData, match="needs the Z and H series of each station; S1 has Z"):
        registry.run("harmonic_amplitude_ratio", {"series": [z, _station("S2", seed=2)[1]]}, {})
    hourly = as_input(np.zeros(24 * 20), item="GM_Z", interval=3600)
    with pytest.raises(InsufficientData, match="every 60 s"):
        registry.run("day_to_day_ratio", {"series": [hourly]}, {"disturbed": "none"})


def test_every_em_figure_draws():
    from matplotlib.figure import Figure

    h1, z1 = _station("S1", seed=1, channel=1)
    h2, z2 = _station("S2", seed=2, channel=3)
    runs = {
        "daily_value": [z1, z2],
        "day_to_day_ratio": [h1, z1, h2, z2],
        "harmonic_amplitude_ratio": [h1, z1],
        "diurnal_correlation": [h1, h2],
    }
    for name, series in runs.items():
        inputs = {"series": series}
        result = registry.run(name, inputs, {})
        figure = registry.figure(name, result, inputs)
        assert isinstance(figure, Figure)
        assert figure.axes[0].lines or figure.axes[0].patches, name
