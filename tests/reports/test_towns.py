"""The gazetteer in PostGIS: loading, the indexed radius lookup, distance and direction."""

from __future__ import annotations

import math

import pytest
from django.contrib.gis.geos import Point

from printing.geodesy import destination
from reports.models import Town
from reports.selectors import towns_near

from .conftest import SHANGGAO


def haversine(lon1, lat1, lon2, lat2, r=6371.0088):
    """Independent haversine (Sinnott 1984) for the expected values."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * r * math.asin(math.sqrt(a))


@pytest.fixture
def town(db):
    return Town.objects.create(
        geonameid=1,
        name="Testtown",
        name_zh="测试镇",
        country_code="CN",
        population=12000,
        location=Point(115.0, 28.0, srid=4326),
    )


def test_epicentre_23_km_north_east_of_a_town(town):
    # given: an epicentre 23 km from the town on a bearing of 45°
    lon, lat = destination(115.0, 28.0, 45.0, 23.0)
    # when
    [found] = towns_near(lon=lon, lat=lat, radius_km=50)
    # then: the town lies south-west of the epicentre, the epicentre north-east of the town
    expected = haversine(lon, lat, 115.0, 28.0)
    assert expected == pytest.approx(23.0, abs=0.01)
    assert found.obj == town
    assert found.offset.distance_km == pytest.approx(expected, abs=1e-6)
    assert (found.offset.direction_zh, found.offset.direction_en) == ("南西", "SW")
    from printing.geodesy import offset

    back = offset(115.0, 28.0, lon, lat)
    assert back.label() == "北东 23 km"
    assert back.label("en") == "NE 23 km"


def test_radius_excludes_towns_just_outside(town):
    lon, lat = destination(115.0, 28.0, 90.0, 50.5)
    assert towns_near(lon=lon, lat=lat, radius_km=50) == []
    assert [n.obj for n in towns_near(lon=lon, lat=lat, radius_km=51)] == [town]


def test_lookup_is_an_indexed_dwithin_on_geography(town, django_assert_num_queries):
    from django.db import connection

    with django_assert_num_queries(1) as captured:
        towns_near(lon=115.0, lat=28.0, radius_km=50)
    sql = captured.captured_queries[0]["sql"]
    assert "ST_DWithin" in sql
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET enable_seqscan = on")
    assert "reports_town_location_id" in plan or "Index" in plan


def test_real_gazetteer_around_shanggao_has_chinese_names_and_provinces(jx_towns):
    # given: GeoNames towns of the Shanggao area loaded
    assert jx_towns > 200
    # when
    near = towns_near(lon=SHANGGAO[0], lat=SHANGGAO[1], radius_km=50)
    # then: 敖阳镇, the seat of 上高县, is among them, named and placed in Jiangxi
    aoyang = next(n for n in near if n.obj.name == "Aoyang")
    assert aoyang.obj.name_zh == "敖阳镇（上高县）"
    assert aoyang.obj.admin1_name == "江西省"
    expected = haversine(SHANGGAO[0], SHANGGAO[1], aoyang.obj.location.x, aoyang.obj.location.y)
    assert aoyang.offset.distance_km == pytest.approx(expected, abs=1e-6)
    assert [n.offset.distance_km for n in near] == sorted(n.offset.distance_km for n in near)
    assert all(n.offset.distance_km <= 50 for n in near)


def test_loading_twice_updates_instead_of_duplicating(jx_towns):
    from reports.services.towns import towns_load

    from .conftest import _jx_rows

    before = Town.objects.count()
    towns_load(rows=_jx_rows()[:10])
    assert Town.objects.count() == before


def test_unknown_population_is_none_not_zero(jx_towns):
    assert not Town.objects.filter(population=0).exists()
    assert Town.objects.filter(population__isnull=True).exists()
