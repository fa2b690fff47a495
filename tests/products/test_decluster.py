"""Declustering on small hand cases and against seismostats' Gardner-Knopoff."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from products.methods.decluster import decluster, gk_windows

KM_PER_DEG = 111.195  # 1 degree of latitude on the 6371.0088 km sphere


def test_gk_windows_of_a_magnitude_5() -> None:
    # d = 10^(0.1238 * 5 + 0.983) = 10^1.602 = 40.0 km
    # t = 10^(0.5409 * 5 - 0.547) = 10^2.1575 = 143.7 days
    dist, time = gk_windows(np.array([5.0]))
    assert dist[0] == pytest.approx(39.99, abs=0.01)
    assert time[0] == pytest.approx(143.7, abs=0.1)


def _case():
    # (lat offset km north of 30N 110E, day, M, expected mainshock flag)
    rows = [
        (0.0, 10.0, 5.0, True),  # mainshock
        (5.0, 10.5, 3.0, False),  # 5 km, half a day later
        (10.0, 20.0, 2.5, False),  # 10 km, 10 days later
        (20.0, 100.0, 3.2, False),  # 20 km, 90 days later
        (200.0, 12.0, 2.8, True),  # 200 km away: outside 40 km
        (5.0, 200.0, 2.6, True),  # 190 days later: outside 143.7 days
        (5.0, 5.0, 2.0, True),  # before the mainshock (no foreshock window)
    ]
    north, days, mags, expected = (np.array(c) for c in zip(*rows, strict=True))
    lat = 30.0 + north / KM_PER_DEG
    lon = np.full(lat.size, 110.0)
    return lat, lon, days, mags, expected.astype(bool)


def test_gardner_knopoff_hand_case() -> None:
    lat, lon, days, mags, expected = _case()
    result = decluster(lat, lon, days, mags)
    assert result["mainshock"] == expected.tolist()
    assert (result["n_total"], result["n_mainshocks"], result["n_clustered"]) == (
        7,
        4,
        3,
    )
    assert result["method"] == "gardner_knopoff"


def test_gardner_knopoff_foreshock_window() -> None:
    lat, lon, days, mags, expected = _case()
    result = decluster(lat, lon, days, mags, fs_time_prop=1.0)
    expected[-1] = False  # 5 days before, 5 km: now a foreshock
    assert result["mainshock"] == expected.tolist()


def test_a_larger_later_event_is_not_claimed_by_a_smaller_one() -> None:
    # M3 at day 0, M5 at day 1 next to it: the M5 is the mainshock, the M3 is free
    lat = np.array([30.0, 30.0])
    result = decluster(lat, np.array([110.0, 110.01]), np.array([0.0, 1.0]), np.array([3.0, 5.0]))
    assert result["mainshock"] == [True, True]


def test_reasenberg_hand_case() -> None:
    # M5 at day 0; three M2 within 1 km over the next 0.8 day; one event 100 km
    # away at day 0.5; one next to the mainshock 30 days later (beyond tau_max)
    north = np.array([0.0, 0.5, 1.0, 0.2, 100.0, 0.5])
    days = np.array([0.0, 0.1, 0.3, 0.8, 0.5, 30.0])
    mags = np.array([5.0, 2.0, 2.0, 2.0, 2.5, 2.2])
    lat = 30.0 + north / KM_PER_DEG
    lon = np.full(6, 110.0)
    result = decluster(lat, lon, days, mags, np.full(6, 10.0), method="reasenberg")
    assert result["mainshock"] == [True, False, False, False, True, True]
    assert result["n_clustered"] == 3


def test_same_mainshocks_as_seismostats_gardner_knopoff() -> None:
    """seismostats' GardnerKnopoffType1 loops over every event in the same
    order (magnitude down, earlier first) with the same window formulas."""
    from seismostats.analysis.declustering import (
        GardnerKnopoffType1,
        GardnerKnopoffWindow,
    )

    rng = np.random.default_rng(4)
    n = 600
    lat = 30 + rng.uniform(0, 1, n)
    lon = 110 + rng.uniform(0, 1, n)
    days = np.sort(rng.uniform(0, 2000, n))
    mags = np.round(2.0 + rng.exponential(0.43, n), 1)
    ours = np.array(decluster(lat, lon, days, mags)["mainshock"])
    frame = pd.DataFrame(
        {
            "latitude": lat,
            "longitude": lon,
            "time": pd.Timestamp("2000-01-01") + pd.to_timedelta(days, unit="D"),
            "magnitude": mags,
        }
    )
    ref = GardnerKnopoffType1(GardnerKnopoffWindow(), fs_time_prop=0.0)(frame)
    assert 0 < ours.sum() < n
    assert ours.tolist() == np.asarray(ref, dtype=bool).tolist()


def test_gardner_knopoff_clusters_name_each_event_s_mainshock() -> None:
    from products.methods.decluster import gardner_knopoff_clusters

    lat, lon, days, mags, expected = _case()
    clusters = gardner_knopoff_clusters(lat, lon, days, mags)
    # the first three aftershocks belong to the M5 (input index 0); the others stand alone
    assert clusters.tolist() == [0, 0, 0, 0, 4, 5, 6]
    assert (clusters == np.arange(clusters.size)).tolist() == expected.tolist()
