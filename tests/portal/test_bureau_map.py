"""The bureau form takes the jurisdiction drawn on its map (GeoJSON in a hidden field) or a file."""

from __future__ import annotations

import json

import pytest
from django.utils import translation

from portal.exceptions import InvalidInput
from portal.geo import parse_area
from portal.models import Bureau

pytestmark = pytest.mark.django_db

# What static/portal/bureau_map.js sends: one MultiPolygon of the drawn parts.
DRAWN = {
    "type": "MultiPolygon",
    "coordinates": [
        [[[108, 29], [116, 29], [116, 33], [108, 33], [108, 29]]],
        [[[117, 30], [118, 30], [118, 31], [117, 30]]],
    ],
}
BOWTIE = {"type": "Polygon", "coordinates": [[[100, 30], [101, 31], [101, 30], [100, 31], [100, 30]]]}


def test_drawn_jurisdiction_saves_and_lands_on_the_bureau(client, sysadmin):
    client.force_login(sysadmin)
    form = {
        "code": "HB",
        "name_zh": "湖北省地震局",
        "name_en": "Hubei",
        "kind": "provincial",
        "is_active": "on",
    }
    response = client.post("/manage/bureaus/new/", {**form, "jurisdiction": json.dumps(DRAWN)})
    assert response.status_code == 302
    assert response["Location"] == "/manage/bureaus/HB/"
    assert Bureau.objects.get(code="HB").jurisdiction.num_geom == 2
    page = client.get("/manage/bureaus/HB/").content.decode()
    assert 'type="hidden" name="jurisdiction"' in page
    assert "vendor/leaflet-geoman/leaflet-geoman.min.js" in page
    assert "portal/bureau_map.js" in page


def test_removing_every_shape_clears_the_jurisdiction(client, sysadmin, jx):
    client.force_login(sysadmin)
    form = {
        "name_zh": jx.name_zh,
        "name_en": jx.name_en,
        "kind": jx.kind,
        "is_active": "on",
        "jurisdiction": "",
    }
    assert client.post("/manage/bureaus/JX/", form).status_code == 302
    jx.refresh_from_db()
    assert jx.jurisdiction is None


@pytest.mark.parametrize(
    ("language", "says"),
    [
        ("en", "The area is not a valid polygon: its outline crosses itself near 100.5000, 30.5000."),
        ("zh-hans", "区域不是有效的多边形：边界自相交，位置约在 100.5000, 30.5000。"),
    ],
)
def test_a_self_intersecting_area_is_explained_in_the_readers_language(language, says):
    with translation.override(language), pytest.raises(InvalidInput) as exc:
        parse_area(BOWTIE, field="jurisdiction")
    assert exc.value.message.startswith(says)
    assert "Self-intersection" not in exc.value.message
    assert exc.value.field == "jurisdiction"


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ('{"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0]]]}', "闭合"),  # ring not closed
        ('{"type": "Polygon"}', "经度, 纬度"),
        ("{not json", "不是 JSON（第 1 行第 2 列）"),
        ('{"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]}', "少于三个"),
    ],
)
def test_geometry_errors_never_show_library_text(value, says):
    with translation.override("zh-hans"), pytest.raises(InvalidInput) as exc:
        parse_area(value, field="jurisdiction")
    assert says in exc.value.message
    for words in ("GEOS", "OGR_", "pointer", "WKB", "LinearRing", "Too few points"):
        assert words not in exc.value.message
