"""Seismicity patterns (seismic_gap, seismic_band, swarm) on synthetic catalogs with the
pattern built in at a known place, and on uniform random catalogs where none should appear."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import Point, shape

from products.methods import registry
from products.methods.errors import InsufficientData
from products.methods.patterns.seismic_band import seismic_band
from products.methods.patterns.seismic_gap import seismic_gap
from products.methods.patterns.swarm import energy_entropy, swarm

T0 = np.datetime64("2020-01-01T00:00:00", "s")


def _times(days: np.ndarray) -> np.ndarray:
    return T0 + (np.asarray(days) * 86400).astype("timedelta64[s]")


def _gr(n: int, rng: np.random.Generator, b: float = 1.0, m0: float = 2.95) -> np.ndarray:
    return np.round(m0 + rng.exponential(np.log10(np.e) / b, n), 1)


def uniform_catalog(n: int, seed: int, box: tuple[float, float, float, float] = (110.0, 35.0, 114.0, 39.0)):
    rng = np.random.default_rng(seed)
    w, s, e, nn = box
    return {
        "lon": rng.uniform(w, e, n),
        "lat": rng.uniform(s, nn, n),
        "days": rng.uniform(0.0, 1825.0, n),
        "mags": _gr(n, rng),
    }


def _run(func, cat, **params):
    return func(cat["lat"], cat["lon"], _times(cat["days"]), cat["mags"], **params)


def _with_doughnut(cat, n: int, seed: int):
    rng = np.random.default_rng(seed)
    r = rng.uniform(70.0, 110.0, n)
    a = rng.uniform(0.0, 2 * np.pi, n)
    extra = {
        "lon": 112.0 + r * np.sin(a) / (111.2 * np.cos(np.radians(37.0))),
        "lat": 37.0 + r * np.cos(a) / 111.2,
        "days": rng.uniform(0.0, 1825.0, n),
        "mags": _gr(n, rng),
    }
    return {k: np.concatenate([cat[k], extra[k]]) for k in cat}


GAP = {"cell": 0.25, "min_size_km": 60.0, "window_days": 1825.0}


class TestSeismicGap:
    def test_a_constructed_gap_is_found_where_it_was_built(self) -> None:
        # given: uniform activity over 4x4 degrees except a disc of 70 km around (112, 37)
        # that has been quiet for the last 5 years (it was active before)
        cat = uniform_catalog(4000, seed=1)
        dx = (cat["lon"] - 112.0) * 111.2 * np.cos(np.radians(37.0))
        dy = (cat["lat"] - 37.0) * 111.2
        in_disc = np.hypot(dx, dy) < 70.0
        cat["days"][in_disc] = np.random.default_rng(2).uniform(-900.0, -10.0, in_disc.sum())
        moved = [Point(x, y) for x, y in zip(cat["lon"][in_disc], cat["lat"][in_disc], strict=True)]
        # and a ring of extra activity 70-110 km from the centre (Mogi's doughnut)
        cat = _with_doughnut(cat, 600, seed=8)
        # when
        result = _run(seismic_gap, cat, **GAP)
        # then
        assert result["n_gaps"] == 1
        gap = result["features"][0]["properties"]
        assert gap["center"][0] == pytest.approx(112.0, abs=0.15)
        assert gap["center"][1] == pytest.approx(37.0, abs=0.15)
        # the disc has pi*70^2 = 15394 km2; the cells it cuts at its edge hold events, so the
        # quiet cells cover less
        assert 0.6 * 15394.0 < gap["area_km2"] < 15394.0
        # the earlier events counted are the disc's events inside the gap's cells
        polygon = shape(result["features"][0]["geometry"])
        assert gap["n_before"] == sum(polygon.covers(p) for p in moved)
        assert gap["n_before"] > 100
        assert gap["ring_rate_ratio"] > 1.0
        assert gap["quiet_days"] >= 10.0
        assert result["features"][0]["geometry"]["type"] == "Polygon"

    def test_a_quiet_area_in_a_weak_surrounding_is_no_gap_under_a_ring_ratio(self) -> None:
        # given: the hole without the doughnut: the ring is as active as the region
        cat = uniform_catalog(4000, seed=1)
        dx = (cat["lon"] - 112.0) * 111.2 * np.cos(np.radians(37.0))
        dy = (cat["lat"] - 37.0) * 111.2
        cat["days"][np.hypot(dx, dy) < 70.0] = -100.0
        # then: a gap with the default ratio, none when the ring must be 1.5x as active
        assert _run(seismic_gap, cat, **GAP)["n_gaps"] == 1
        assert _run(seismic_gap, cat, **GAP, ring_ratio=1.5)["n_gaps"] == 0

    @pytest.mark.parametrize("seed", [3, 4, 5])
    def test_no_gap_in_a_uniform_random_catalog(self, seed) -> None:
        result = _run(seismic_gap, uniform_catalog(4000, seed=seed), **GAP)
        assert result["n_gaps"] == 0

    def test_a_quiet_area_at_the_edge_is_not_surrounded(self) -> None:
        cat = uniform_catalog(4000, seed=6)
        keep = ~((cat["lon"] < 111.0) & (np.abs(cat["lat"] - 37.0) < 0.8))
        cat = {k: v[keep] for k, v in cat.items()}
        result = _run(seismic_gap, cat, **GAP)
        assert result["n_gaps"] == 0

    def test_too_few_events_in_the_window_is_refused(self) -> None:
        cat = uniform_catalog(15, seed=7)
        with pytest.raises(InsufficientData, match="at least 20 events"):
            _run(seismic_gap, cat, **GAP)


BAND = {"link_km": 30.0, "min_events": 15, "min_length_km": 150.0, "min_aspect": 3.0}


def band_catalog(seed: int, azimuth: float):
    # given: sparse uniform background plus 80 events spread evenly along a 300 km x 20 km belt
    # through (112, 37) at the given azimuth
    cat = uniform_catalog(150, seed=seed)
    rng = np.random.default_rng(seed + 100)
    along = rng.uniform(-150.0, 150.0, 80)
    across = rng.uniform(-10.0, 10.0, 80)
    a = np.radians(azimuth)
    x = along * np.sin(a) + across * np.cos(a)
    y = along * np.cos(a) - across * np.sin(a)
    band = {
        "lon": 112.0 + x / (111.195 * np.cos(np.radians(37.0))),
        "lat": 37.0 + y / 111.195,
        "days": rng.uniform(900.0, 1825.0, 80),
        "mags": _gr(80, rng),
    }
    return {k: np.concatenate([cat[k], band[k]]) for k in cat}


class TestSeismicBand:
    @pytest.mark.parametrize("azimuth", [30.0, 120.0])
    def test_a_constructed_band_is_found_with_its_shape(self, azimuth) -> None:
        result = _run(seismic_band, band_catalog(11, azimuth), **BAND)
        assert result["n_bands"] == 1
        band = result["features"][0]["properties"]
        assert band["azimuth_deg"] == pytest.approx(azimuth, abs=5.0)
        assert band["length_km"] == pytest.approx(300.0, rel=0.15)
        assert band["width_km"] == pytest.approx(20.0, rel=0.5)
        # the 80 belt events (less a few at its ends) and the background events beside it
        assert 75 <= band["count"] <= 100
        assert band["center"][0] == pytest.approx(112.0, abs=0.2)
        assert band["center"][1] == pytest.approx(37.0, abs=0.2)

    @pytest.mark.parametrize("seed", [12, 13, 14])
    def test_no_band_in_a_uniform_random_catalog(self, seed) -> None:
        result = _run(seismic_band, uniform_catalog(400, seed=seed), **BAND)
        assert result["n_bands"] == 0

    def test_events_outside_the_window_do_not_count(self) -> None:
        cat = band_catalog(15, 60.0)
        result = _run(seismic_band, cat, window_days=700.0, window_end="2020-12-31T00:00:00", **BAND)
        assert result["n_bands"] == 0


def swarm_catalog(seed: int):
    rng = np.random.default_rng(seed)
    # background: 600 events over 4x4 degrees and 5 years
    cat = uniform_catalog(600, seed=seed)
    # a swarm: 60 events within ~3 km of (112.5, 37.5) over 10 days at a steady rate
    # (so h is about 0), largest two of comparable size (3.8 and 3.7)
    n = 60
    sw_mags = np.round(2.0 + rng.exponential(np.log10(np.e) / 0.7, n), 1).clip(max=3.6)
    sw_mags[10], sw_mags[40] = 3.8, 3.7
    swarm_ev = {
        "lon": 112.5 + rng.normal(0.0, 0.01, n),
        "lat": 37.5 + rng.normal(0.0, 0.01, n),
        "days": np.sort(rng.uniform(1000.0, 1010.0, n)),
        "mags": sw_mags,
    }
    # a mainshock-aftershock sequence: M5.0 and 40 aftershocks below 3.9: not a swarm
    after = {
        "lon": 111.0 + rng.normal(0.0, 0.01, 41),
        "lat": 36.0 + rng.normal(0.0, 0.01, 41),
        "days": 500.0 + np.concatenate([[0.0], np.sort(rng.exponential(2.0, 40)) + 0.01]),
        "mags": np.concatenate([[5.0], np.round(2.0 + rng.exponential(0.4, 40), 1).clip(max=3.8)]),
    }
    return {k: np.concatenate([cat[k], swarm_ev[k], after[k]]) for k in cat}


class TestSwarm:
    def test_a_constructed_swarm_is_found_and_judged(self) -> None:
        result = _run(swarm, swarm_catalog(21))
        assert result["n_swarms"] == 1
        assert result["n_clusters"] == 2  # the swarm and the mainshock-aftershock sequence
        s = result["swarms"][0]
        assert s["n_events"] == 60
        assert s["center"][0] == pytest.approx(112.5, abs=0.02)
        assert s["delta_m"] == pytest.approx(0.1)
        assert s["max_magnitude"] == 3.8
        assert s["first"][:10] == "2022-09-27"  # day 1000 after 2020-01-01
        # a steady rate over 10 days: the daily counts do not decay, h near 0
        assert s["h"] == pytest.approx(0.0, abs=0.5)
        assert s["indicators"]["h_le_1"] is True
        # the swarm was drawn with b = 0.7 against the background's b = 1
        assert s["b"] == pytest.approx(0.7, abs=0.25)
        assert s["b"] < s["b_region"]
        assert s["indicators"]["low_b"] is True
        assert s["foreshock_like"] is True

    def test_swarm_b_is_the_aki_utsu_b_of_its_events(self) -> None:
        from products.methods.bvalue import bvalue

        cat = swarm_catalog(22)
        s = _run(swarm, cat)["swarms"][0]
        members = (np.abs(cat["lon"] - 112.5) < 0.1) & (np.abs(cat["days"] - 1005.0) <= 5.0)
        ref = bvalue(cat["mags"][members], mc=s["mc"], min_events=10)
        assert s["b"] == pytest.approx(ref["b"], abs=1e-4)
        assert s["b_n"] == ref["n"]

    def test_energy_entropy_worked_values(self) -> None:
        # equal magnitudes: energy shared evenly, K = 1
        assert energy_entropy(np.array([3.0, 3.0, 3.0, 3.0])) == pytest.approx(1.0)
        # M4 and M2: E ratio 10^3, p = (1000/1001, 1/1001), K = H / ln 2
        p = np.array([1000.0, 1.0]) / 1001.0
        assert energy_entropy(np.array([4.0, 2.0])) == pytest.approx(-(p * np.log(p)).sum() / np.log(2))
        assert energy_entropy(np.array([3.0])) is None

    def test_no_swarm_in_a_uniform_random_catalog(self) -> None:
        result = _run(swarm, uniform_catalog(600, seed=23))
        assert result["n_swarms"] == 0


def test_pattern_methods_are_registered_and_run_through_the_registry() -> None:
    cat = swarm_catalog(24)
    inputs = {"lat": cat["lat"], "lon": cat["lon"], "times": _times(cat["days"]), "magnitudes": cat["mags"]}
    result = registry.run("swarm", inputs, {"min_events": 20})
    assert result["criteria"]["min_events"] == 20
    fig = registry.figure("swarm", result, inputs)
    assert len(fig.axes) == 2
    for name in ("seismic_gap", "seismic_band"):
        assert registry.METHODS[name].input == "catalog"


def test_gap_and_band_figures_draw_the_polygons() -> None:
    cat = band_catalog(11, 30.0)
    inputs = {"lat": cat["lat"], "lon": cat["lon"], "times": _times(cat["days"]), "magnitudes": cat["mags"]}
    result = registry.run("seismic_band", inputs, BAND)
    fig = registry.figure("seismic_band", result, inputs)
    assert len(fig.axes[0].patches) == 1
    cat = uniform_catalog(4000, seed=1)
    dx = (cat["lon"] - 112.0) * 111.2 * np.cos(np.radians(37.0))
    dy = (cat["lat"] - 37.0) * 111.2
    cat["days"][np.hypot(dx, dy) < 70.0] = -100.0
    inputs = {"lat": cat["lat"], "lon": cat["lon"], "times": _times(cat["days"]), "magnitudes": cat["mags"]}
    result = registry.run("seismic_gap", inputs, GAP)
    fig = registry.figure("seismic_gap", result, inputs)
    assert len(fig.axes[0].patches) == 1
