"""Distance and direction worked values (haversine, initial bearing, eight-point rose)."""

from __future__ import annotations

import math

import pytest

from printing.geodesy import compass_index, destination, haversine_km, initial_bearing_deg, offset
from reports.gazetteer import chinese_name


def test_one_degree_of_latitude_is_111_195_km():
    # 2πR/360 with R = 6371.0088 km
    assert haversine_km(115.0, 28.0, 115.0, 29.0) == pytest.approx(111.1951, abs=1e-3)


def test_beijing_to_shanghai_worked_value():
    # Beijing (116.4074E, 39.9042N) to Shanghai (121.4737E, 31.2304N): 1067 km on the mean sphere
    assert haversine_km(116.4074, 39.9042, 121.4737, 31.2304) == pytest.approx(1067.3, abs=0.5)


@pytest.mark.parametrize(
    ("dlon", "dlat", "zh", "en"),
    [
        (0, 1, "北", "N"),
        (1, 1, "北东", "NE"),
        (1, 0, "东", "E"),
        (1, -1, "南东", "SE"),
        (0, -1, "南", "S"),
        (-1, -1, "南西", "SW"),
        (-1, 0, "西", "W"),
        (-1, 1, "北西", "NW"),
    ],
)
def test_eight_point_rose_in_chinese_and_english(dlon, dlat, zh, en):
    where = offset(115.0, 28.0, 115.0 + 0.1 * dlon, 28.0 + 0.1 * dlat)
    assert (where.direction_zh, where.direction_en) == (zh, en)


@pytest.mark.parametrize(
    ("bearing", "index"), [(0, 0), (22.4, 0), (22.6, 1), (337.6, 0), (337.4, 7), (180, 4)]
)
def test_sector_edges(bearing, index):
    assert compass_index(bearing) == index


def test_destination_then_offset_round_trips_23_km_north_east():
    lon, lat = destination(115.01, 28.11, 45.0, 23.0)
    where = offset(115.01, 28.11, lon, lat)
    assert where.distance_km == pytest.approx(23.0, abs=1e-6)
    assert where.bearing_deg == pytest.approx(45.0, abs=1e-6)
    assert where.label() == "北东 23 km"
    assert where.label("en") == "NE 23 km"


def test_bearing_due_east_on_the_equator_is_90():
    assert initial_bearing_deg(0, 0, 1, 0) == pytest.approx(90.0)
    assert math.isclose(initial_bearing_deg(0, 0, 0, -1), 180.0)


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["Aoyang", "上高县", "敖阳", "敖阳街道", "敖阳镇"], "敖阳镇（上高县）"),
        (["Mengshan", "蒙山", "蒙山乡"], "蒙山乡"),
        (["Yongning", "永宁", "永宁镇", "铜鼓县"], "永宁镇（铜鼓县）"),
        (["Dongzhou", "dong zhou", "东洲"], "东洲"),
        (["Nothing", "Ничего"], ""),
    ],
)
def test_chinese_name_prefers_the_town_form_and_names_the_county_seat(names, expected):
    assert chinese_name(names) == expected


@pytest.mark.parametrize(
    ("language", "value", "shown"),
    [
        ("zh-hans", 1164268, "116.4万"),
        ("zh-hans", 9500, "9,500"),
        ("en", 1164268, "1,164,268"),
        ("en", None, "—"),
    ],
)
def test_population_is_shown_the_way_readers_count(language, value, shown):
    from django.utils import translation

    from reports.templatetags.reports_tags import population

    with translation.override(language):
        assert population(value) == shown
