"""GIS layer upload (API and page), validation naming the feature, and tenant isolation."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reports.models import GisFeature, GisLayer

pytestmark = pytest.mark.django_db

GOOD = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"name": "上高二中", "students": 2100},
            "geometry": {"type": "Point", "coordinates": [114.93, 28.23]},
        },
        {
            "type": "Feature",
            "properties": {"name": "敖阳小学"},
            "geometry": {"type": "Point", "coordinates": [114.92, 28.24]},
        },
        {
            "type": "Feature",
            "properties": {"名称": "锦江大道"},
            "geometry": {"type": "LineString", "coordinates": [[114.90, 28.20], [114.95, 28.25]]},
        },
    ],
}


def en(client):
    """English messages (the default language is Chinese)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _file(data, name="schools.geojson"):
    raw = data if isinstance(data, bytes) else json.dumps(data, ensure_ascii=False).encode()
    return SimpleUploadedFile(name, raw, content_type="application/geo+json")


def test_good_file_is_stored_with_its_features(api, jx_forecaster):
    response = api(jx_forecaster).post(
        "/api/v1/gis-layers/",
        {"name": "赣学校图层", "kind": "school", "file": _file(GOOD)},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    layer = GisLayer.objects.get(pk=response.json()["id"])
    assert (layer.bureau.code, layer.feature_count, layer.source_filename) == ("JX", 3, "schools.geojson")
    assert list(GisFeature.objects.filter(layer=layer).values_list("name", flat=True)) == [
        "上高二中",
        "敖阳小学",
        "锦江大道",
    ]
    assert GisFeature.objects.get(name="上高二中").properties == {"name": "上高二中", "students": 2100}


def test_json_body_upload_works_too(api, jx_admin):
    response = api(jx_admin).post(
        "/api/v1/gis-layers/", {"name": "医院", "kind": "hospital", "geojson": GOOD}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["feature_count"] == 3


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (
            lambda d: d["features"][1]["geometry"].update(coordinates=[200.0, 28.0]),
            "features[1]: coordinates [200.0, 28.0] are outside longitude",
        ),
        (
            lambda d: d["features"][2]["geometry"].update(type="Curve"),
            'features[2]: unknown geometry type "Curve"',
        ),
        (lambda d: d["features"][0].update(geometry=None), "features[0]: the feature has no geometry"),
        (lambda d: d["features"][1]["geometry"].update(coordinates=["a", 1]), "features[1]: coordinates"),
        (
            lambda d: d["features"].append(
                {
                    "type": "Feature",
                    "properties": {},
                    "geometry": {
                        "type": "Polygon",
                        "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]],
                    },
                }
            ),
            "features[3]: the geometry is not valid",
        ),
    ],
)
def test_malformed_feature_gives_400_naming_index_and_reason(api, jx_forecaster, mutate, needle):
    data = json.loads(json.dumps(GOOD))
    mutate(data)
    response = en(api(jx_forecaster)).post(
        "/api/v1/gis-layers/", {"name": "坏", "kind": "school", "file": _file(data)}, format="multipart"
    )
    assert response.status_code == 400
    assert needle in response.json()["detail"]
    assert response.json()["errors"]["file"]
    assert not GisLayer.objects.exists()
    assert not GisFeature.objects.exists()


def test_not_json_names_line_and_column(api, jx_forecaster):
    response = en(api(jx_forecaster)).post(
        "/api/v1/gis-layers/",
        {"name": "x", "kind": "fault", "file": _file(b'{"type": "FeatureCollection",\n "features": [}')},
        format="multipart",
    )
    assert response.status_code == 400
    assert "line 2 column" in response.json()["detail"]


def test_file_over_the_size_limit_is_refused(api, jx_forecaster, settings):
    settings.REPORTS_GIS_MAX_BYTES = 200
    response = en(api(jx_forecaster)).post(
        "/api/v1/gis-layers/", {"name": "big", "kind": "school", "file": _file(GOOD)}, format="multipart"
    )
    assert response.status_code == 400
    assert "at most 200 bytes" in response.json()["detail"]
    assert not GisLayer.objects.exists()


def test_viewer_cannot_upload(api, jx_viewer):
    response = api(jx_viewer).post(
        "/api/v1/gis-layers/",
        {"name": "赣学校图层", "kind": "school", "file": _file(GOOD)},
        format="multipart",
    )
    assert response.status_code == 403
    assert not GisLayer.objects.exists()


@pytest.fixture
def jx_layer(as_actor, jx_forecaster):
    from reports.services.gis_layers import gis_layer_upload

    return gis_layer_upload(
        actor=as_actor(jx_forecaster), name="赣学校图层", kind="school", content=json.dumps(GOOD).encode()
    )


def test_another_bureaus_layer_is_invisible_everywhere(
    api, client, jx_layer, nm_admin, nm_forecaster, cenc_forecaster
):
    for user in (nm_admin, cenc_forecaster):
        assert api(user).get("/api/v1/gis-layers/").json()["results"] == []
        assert api(user).get(f"/api/v1/gis-layers/{jx_layer.pk}/").status_code == 404
        assert api(user).delete(f"/api/v1/gis-layers/{jx_layer.pk}/").status_code == 404
        client.force_login(user)
        assert client.get(reverse("reports:layer-detail", args=[jx_layer.pk])).status_code == 404
        assert client.get(reverse("reports:layer-geojson", args=[jx_layer.pk])).status_code == 404
        assert client.post(reverse("reports:layer-detail", args=[jx_layer.pk])).status_code == 404
        assert "赣学校图层" not in client.get(reverse("reports:layer-list")).content.decode()
    assert GisLayer.objects.filter(pk=jx_layer.pk).exists()


def test_own_bureau_lists_previews_and_deletes(api, client, jx_layer, jx_forecaster, jx_viewer):
    assert [r["name"] for r in api(jx_viewer).get("/api/v1/gis-layers/").json()["results"]] == ["赣学校图层"]
    client.force_login(jx_viewer)
    geojson = client.get(reverse("reports:layer-geojson", args=[jx_layer.pk])).json()
    assert [f["properties"]["_name"] for f in geojson["features"]] == ["上高二中", "敖阳小学", "锦江大道"]
    # a viewer may look but not delete
    assert client.post(reverse("reports:layer-detail", args=[jx_layer.pk])).status_code == 403
    assert api(jx_viewer).delete(f"/api/v1/gis-layers/{jx_layer.pk}/").status_code == 403
    assert api(jx_forecaster).delete(f"/api/v1/gis-layers/{jx_layer.pk}/").status_code == 204
    assert not GisFeature.objects.exists()


def test_upload_page_shows_the_feature_error_and_keeps_nothing(client, jx_admin):
    en(client).force_login(jx_admin)
    data = json.loads(json.dumps(GOOD))
    data["features"][2]["geometry"]["coordinates"] = [[114.9, 95.0], [114.9, 28.0]]
    response = client.post(
        reverse("reports:layer-list"), {"name": "道路", "kind": "road", "file": _file(data, "roads.geojson")}
    )
    assert response.status_code == 400
    assert "features[2]: coordinates [114.9, 95.0] are outside latitude -90..90" in response.content.decode()
    assert not GisLayer.objects.exists()
    ok = client.post(
        reverse("reports:layer-list"), {"name": "赣学校图层", "kind": "school", "file": _file(GOOD)}
    )
    assert ok.status_code == 302
    page = client.get(ok["Location"]).content.decode()
    assert "上高二中" in page
    assert 'id="layer-map"' in page


def test_duplicate_layer_name_in_the_bureau_is_refused(api, jx_layer, jx_forecaster):
    response = api(jx_forecaster).post(
        "/api/v1/gis-layers/", {"name": "赣学校图层", "kind": "school", "geojson": GOOD}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["name"]


def test_errors_are_in_chinese_by_default(api, jx_forecaster):
    data = json.loads(json.dumps(GOOD))
    data["features"][1]["geometry"]["coordinates"] = [200.0, 28.0]
    response = api(jx_forecaster).post(
        "/api/v1/gis-layers/", {"name": "坏", "kind": "school", "file": _file(data)}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "features[1]: 坐标 [200.0, 28.0] 超出经度范围 -180..180"
