"""The bounding boxes of a radius search (catalog.selectors.sphere_boxes), pure."""

from __future__ import annotations

import math

import numpy as np
import pytest

from catalog.selectors import SPHERE_RADIUS_M, sphere_boxes

DEGREE_M = SPHERE_RADIUS_M * math.pi / 180.0


def _distance_m(lon1, lat1, lon2, lat2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dl = np.radians(lon2 - lon1)
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * SPHERE_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h)))


def test_known_answers():
    # On the equator one degree of arc is one degree either way (Matuschek 2010).
    ((west, south, east, north),) = sphere_boxes(10.0, 0.0, DEGREE_M)
    assert south == pytest.approx(-1.0, rel=1e-5)
    assert north == pytest.approx(1.0, rel=1e-5)
    assert west == pytest.approx(9.0, rel=1e-5)
    assert east == pytest.approx(11.0, rel=1e-5)
    # At 60 degrees north the longitudes widen by about 1/cos(60) = 2.
    ((west, _s, east, _n),) = sphere_boxes(0.0, 60.0, DEGREE_M)
    assert east == pytest.approx(math.degrees(math.asin(math.sin(math.radians(1)) / 0.5)), rel=1e-5)
    # Across the antimeridian: two boxes; around a pole: one band of all longitudes.
    assert len(sphere_boxes(179.5, 0.0, DEGREE_M)) == 2
    assert sphere_boxes(0.0, 89.5, DEGREE_M) == [(-180.0, pytest.approx(88.5, rel=1e-5), 180.0, 90.0)]


@pytest.mark.parametrize("seed", range(5))
def test_every_point_within_reach_lies_in_a_box(seed):
    rng = np.random.default_rng(seed)
    lon0, lat0 = rng.uniform(-180, 180), rng.uniform(-89, 89)
    radius = rng.uniform(1_000, 3_000_000)
    lon = rng.uniform(-180, 180, 200_000)
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, 200_000)))
    near = _distance_m(lon0, lat0, lon, lat) <= radius
    inside = np.zeros_like(near)
    for west, south, east, north in sphere_boxes(lon0, lat0, radius):
        inside |= (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)
    assert not (near & ~inside).any()
    assert near.sum() > 0 or radius < 50_000
