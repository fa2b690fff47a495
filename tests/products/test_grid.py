"""b-value map and rate-change (Z) map."""

from __future__ import annotations

import math

import numpy as np
import pytest

from products.methods._common import haversine_km
from products.methods.bvalue import bvalue
from products.methods.errors import InsufficientData
from products.methods.grid import bvalue_grid, rate_change
from tests.products.products_data import gr_magnitudes


def _two_halves(n=40000, seed=1):
    rng = np.random.default_rng(seed)
    lat = rng.uniform(30.0, 31.0, n)
    lon = rng.uniform(110.0, 112.0, n)
    west = lon < 111.0
    mags = np.where(west, gr_magnitudes(n, 0.7, 1.95, seed + 1), gr_magnitudes(n, 1.3, 1.95, seed + 2))
    return lat, lon, mags


def test_grid_recovers_two_b_values() -> None:
    lat, lon, mags = _two_halves()
    result = bvalue_grid(lat, lon, mags, cell=0.25, nearest=1000, mc=2.0)
    assert result["type"] == "FeatureCollection"
    props = {(f["properties"]["lon"], f["properties"]["lat"]): f["properties"] for f in result["features"]}
    assert abs(props[(110.125, 30.625)]["b"] - 0.7) < 3 * props[(110.125, 30.625)]["b_err"]
    assert abs(props[(111.875, 30.375)]["b"] - 1.3) < 3 * props[(111.875, 30.375)]["b_err"]
    poly = result["features"][0]["geometry"]["coordinates"][0]
    assert poly[0] == poly[-1]
    assert len(poly) == 5


def test_a_node_equals_bvalue_on_its_great_circle_neighbours() -> None:
    lat, lon, mags = _two_halves(8000, seed=5)
    result = bvalue_grid(lat, lon, mags, cell=0.5, nearest=None, radius_km=30.0, min_events=20)
    feature = result["features"][0]["properties"]
    near = haversine_km(feature["lat"], feature["lon"], lat, lon) <= 30.0
    brute = bvalue(mags[near], mc=None, min_events=20)
    assert feature["n"] == brute["n"]
    assert feature["mc"] == brute["mc"]
    assert feature["b"] == pytest.approx(brute["b"], rel=1e-9)
    assert feature["b_err"] == pytest.approx(brute["b_err"], rel=1e-9)


def test_cells_with_too_few_events_are_left_out() -> None:
    lat, lon, mags = _two_halves(2000, seed=6)
    result = bvalue_grid(lat, lon, mags, cell=0.1, nearest=None, radius_km=5.0, min_events=50)
    assert all(f["properties"]["n"] >= 50 for f in result["features"])
    assert result["n_cells"] == len(result["features"])


def test_grid_needs_exactly_one_sampling() -> None:
    lat, lon, mags = _two_halves(200, seed=7)
    with pytest.raises(ValueError, match="exactly one"):
        bvalue_grid(lat, lon, mags, nearest=100, radius_km=10.0)


def test_grid_with_too_few_events_raises() -> None:
    with pytest.raises(InsufficientData) as info:
        bvalue_grid([30.0] * 10, [110.0] * 10, [2.0] * 10)
    assert (info.value.have, info.value.need) == (10, 50)


def _quiet_patch(seed=3):
    # 10 years of uniform background at 10 events/day over 2 x 2 degrees; in
    # the last year the patch 110-110.5E, 30-30.5N keeps only 20 percent.
    rng = np.random.default_rng(seed)
    n = 36500
    days = rng.uniform(0, 3650, n)
    lat = rng.uniform(30.0, 32.0, n)
    lon = rng.uniform(110.0, 112.0, n)
    patch = (lat < 30.5) & (lon < 110.5) & (days >= 3650 - 365)
    keep = ~patch | (rng.uniform(size=n) < 0.2)
    return lat[keep], lon[keep], days[keep], np.full(keep.sum(), 2.0)


def test_quiescence_gives_positive_z_and_elsewhere_near_zero() -> None:
    lat, lon, days, mags = _quiet_patch()
    result = rate_change(
        lat, lon, days, mags, cell=0.25, nearest=300, bin_days=14, window_days=364, decluster=False
    )
    z = {(f["properties"]["lon"], f["properties"]["lat"]): f["properties"]["z"] for f in result["features"]}
    assert z[(110.125, 30.125)] > 5.0
    assert abs(z[(111.625, 31.625)]) < 3.0
    assert result["window"][1] - result["window"][0] == pytest.approx(364.0)
    assert result["declustered"] is False


def test_z_of_one_node_by_hand() -> None:
    # one node, 4 events per bin for 6 bins then 1 per bin for 2 window bins:
    # background mean 4, var 0; window mean 1, var 0 -> the denominator is 0: z None
    # make the background 3, 5, 4, 4, 3, 5 (mean 4, var 0.8) and the window 1, 2
    # (mean 1.5, var 0.5): Z = (4 - 1.5) / sqrt(0.8 / 6 + 0.5 / 2) = 2.5 / 0.6191 = 4.038
    per_bin = [3, 5, 4, 4, 3, 5, 1, 2]
    days = np.concatenate([b * 10 + np.linspace(0, 9, c) for b, c in enumerate(per_bin)])
    days = np.append(days, 80.0)  # ends the 8th bin of 10 days; itself in no full bin
    lat = np.full(days.size, 30.0)
    lon = np.full(days.size, 110.0)
    result = rate_change(
        lat,
        lon,
        days,
        np.full(days.size, 2.0),
        cell=1.0,
        nearest=days.size,
        bin_days=10,
        window_days=20,
        decluster=False,
        min_events=5,
    )
    (feature,) = result["features"]
    assert feature["properties"]["z"] == pytest.approx(2.5 / math.sqrt(0.8 / 6 + 0.5 / 2))


def test_rate_change_with_too_short_a_catalog_raises() -> None:
    lat, lon, days, mags = _quiet_patch()
    short = days < 30
    with pytest.raises(InsufficientData, match="bins of 14 days"):
        rate_change(lat[short], lon[short], days[short], mags[short], decluster=False)
