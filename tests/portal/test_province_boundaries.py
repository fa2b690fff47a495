"""Checks on the shipped offline province boundaries (portal/data/*.geojson).

Plain json only: no Django, no database, no GIS library.
"""

import itertools
import json
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "portal" / "data"

CODES = {
    "BJ", "TJ", "HE", "SX", "NM", "LN", "JL", "HL", "SH", "JS", "ZJ",
    "AH", "FJ", "JX", "SD", "HA", "HB", "HN", "GD", "GX", "HI", "CQ",
    "SC", "GZ", "YN", "XZ", "SN", "GS", "QH", "NX", "XJ",
}  # fmt: skip

# (name, lat, lon, expected province code)
CITIES = [
    ("Nanchang", 28.68, 115.86, "JX"),
    ("Hohhot", 40.84, 111.75, "NM"),
    ("Urumqi", 43.83, 87.62, "XJ"),
    ("Lhasa", 29.65, 91.13, "XZ"),
    ("Guangzhou", 23.13, 113.26, "GD"),
    ("Beijing", 39.90, 116.40, "BJ"),
]


def load(name):
    with open(DATA / name, encoding="utf-8") as fh:
        return json.load(fh)


@pytest.fixture(scope="module")
def provinces():
    return load("china_provinces.geojson")


def point_in_ring(x, y, ring):
    """Ray casting (even-odd rule) on a closed ring of [lon, lat] positions."""
    inside = False
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        if (y1 > y) != (y2 > y):
            x_cross = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            if x < x_cross:
                inside = not inside
    return inside


def point_in_multipolygon(x, y, coordinates):
    for polygon in coordinates:
        exterior, holes = polygon[0], polygon[1:]
        if point_in_ring(x, y, exterior) and not any(point_in_ring(x, y, hole) for hole in holes):
            return True
    return False


def test_point_in_polygon_helper():
    square = [[[[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]]]
    with_hole = [[square[0][0], [[4, 4], [4, 6], [6, 6], [6, 4], [4, 4]]]]
    assert point_in_multipolygon(5, 5, square)
    assert not point_in_multipolygon(11, 5, square)
    assert not point_in_multipolygon(5, 5, with_hole)
    assert point_in_multipolygon(2, 2, with_hole)


def test_31_provinces_with_bureau_codes(provinces):
    assert provinces["type"] == "FeatureCollection"
    features = provinces["features"]
    assert len(features) == 31
    codes = [f["properties"]["code"] for f in features]
    assert len(set(codes)) == 31
    assert set(codes) == CODES
    for f in features:
        props = f["properties"]
        assert props["name_zh"]
        assert props["name_en"]
    names = {f["properties"]["code"]: f["properties"]["name_zh"] for f in features}
    assert names["JX"] == "江西省"
    assert names["NM"] == "内蒙古自治区"
    assert names["XJ"] == "新疆维吾尔自治区"


@pytest.mark.parametrize(
    ("name", "expected"),
    [("china_provinces.geojson", 31), ("china_other_regions.geojson", 3)],
)
def test_multipolygons_with_closed_rings(name, expected):
    features = load(name)["features"]
    assert len(features) == expected
    for f in features:
        geometry = f["geometry"]
        code = f["properties"]["code"]
        assert geometry["type"] == "MultiPolygon", code
        assert geometry["coordinates"], code
        for polygon in geometry["coordinates"]:
            assert polygon, code
            for ring in polygon:
                assert len(ring) >= 4, code
                assert ring[0] == ring[-1], code
                for lon, lat in ring:
                    assert 73 < lon < 136, (code, lon)
                    assert 3 < lat < 54, (code, lat)
                    assert round(lon, 4) == lon, code
                    assert round(lat, 4) == lat, code


def test_other_regions_codes():
    codes = {f["properties"]["code"] for f in load("china_other_regions.geojson")["features"]}
    assert codes == {"TW", "HK", "MO"}


@pytest.mark.parametrize(("city", "lat", "lon", "code"), CITIES)
def test_city_inside_its_province_only(provinces, city, lat, lon, code):
    hits = [
        f["properties"]["code"]
        for f in provinces["features"]
        if point_in_multipolygon(lon, lat, f["geometry"]["coordinates"])
    ]
    assert hits == [code], city
