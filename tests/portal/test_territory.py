"""portal/territory.py: in China (land, the Bohai, the Taiwan Strait, 12 nautical miles off the
coast) or abroad, from the shipped outlines."""

from __future__ import annotations

import pytest

from portal import territory


@pytest.mark.parametrize(
    ("place", "lat", "lon", "china"),
    [
        ("Jishishan, Gansu", 35.70, 102.79, True),
        ("Wushi, Xinjiang", 41.26, 78.63, True),
        ("Hualien, Taiwan", 24.0, 121.6, True),
        ("Hong Kong", 22.32, 114.17, True),
        ("the middle of the Bohai", 38.7, 120.0, True),
        ("the middle of the Taiwan Strait", 24.5, 119.6, True),
        ("the Yellow Sea, 200 km out", 35.5, 123.5, False),
        ("100 km east of Hualien", 24.0, 122.6, False),
        ("Kathmandu, Nepal", 27.7, 85.3, False),
        ("Tokyo", 35.7, 139.7, False),
        ("Mandalay, Myanmar", 21.97, 96.08, False),
    ],
)
def test_in_china_or_abroad(place, lat, lon, china):
    assert territory.in_china(lat, lon) is china, place


def test_the_territorial_sea_is_12_nautical_miles_from_the_coast():
    # Hualien's coast lies near 121.6°E at 24°N; 0.18° of longitude there is about 18 km
    km = territory.km_from_china(24.0, 121.78)
    assert km is not None
    assert 5 < km < territory.TERRITORIAL_SEA_KM
    # 30 km out (0.3° beyond the coast): abroad
    assert territory.km_from_china(24.0, 121.95) is None
    assert territory.km_from_china(35.70, 102.79) == 0.0


def test_the_distance_is_geodesic():
    """At 24°N a degree of longitude is 101.8 km on WGS 84 (Snyder 1987, eq. 4-21: the parallel's
    radius N cos φ): a point 0.1° east of a meridian coast line lies ~10.2 km from it."""
    from django.contrib.gis.geos import Polygon

    coast = Polygon.from_bbox((120.0, 23.0, 121.0, 25.0))
    coast.srid = 4326
    territory._areas.cache_clear()
    try:
        original = territory._areas
        territory._areas = lambda: ((coast, coast.prepared),)  # type: ignore[assignment]
        assert territory.km_from_china(24.0, 121.1) == pytest.approx(10.18, abs=0.05)
    finally:
        territory._areas = original


def test_the_added_seas_are_valid_rings():
    from django.contrib.gis.geos import Polygon

    for ring in (territory.BOHAI, territory.TAIWAN_STRAIT):
        assert Polygon(ring, srid=4326).valid
