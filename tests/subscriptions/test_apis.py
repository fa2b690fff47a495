"""The subscriptions API: 201 with the issue's body, one's own list, 404 for another's, 400 per field."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

SQUARE = {"type": "Polygon", "coordinates": [[[115, 27], [116, 27], [116, 28], [115, 28], [115, 27]]]}
BODY = {
    "region": SQUARE,
    "min_magnitude": 3.0,
    "min_magnitude_night": 4.5,
    "quiet_hours": ["23:00", "06:30"],
    "products": ["quick_report", "topic_report", "anomalies:fluid"],
    "channels": ["in_app", "email"],
    "suppress_aftershocks": True,
}


def test_create_list_get_patch_delete(api, jx_forecaster):
    client = api(jx_forecaster)
    response = client.post("/api/v1/subscriptions/", BODY, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["quiet_hours"] == ["23:00", "06:30"]
    assert body["region"]["type"] == "MultiPolygon"
    assert body["region_spec"] == {"kind": "polygon"}
    listed = client.get("/api/v1/subscriptions/").json()
    assert [row["id"] for row in listed["results"]] == [body["id"]]
    url = f"/api/v1/subscriptions/{body['id']}/"
    patched = client.patch(url, {"min_magnitude": 2.5, "region": {"bureau": "JX"}}, format="json")
    assert patched.status_code == 200
    assert patched.json()["min_magnitude"] == 2.5
    assert patched.json()["region_spec"] == {"kind": "bureau", "bureau": "JX"}
    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404


def test_circle_and_all_of_china(api, jx_forecaster):
    client = api(jx_forecaster)
    circle = client.post(
        "/api/v1/subscriptions/",
        {**BODY, "region": {"center": [115.5, 28.5], "radius_km": 50}},
        format="json",
    ).json()
    assert circle["region_spec"] == {"kind": "circle", "center": [115.5, 28.5], "radius_km": 50.0}
    ring = circle["region"]["coordinates"][0][0]
    assert len(ring) == 65
    china = client.post("/api/v1/subscriptions/", {**BODY, "region": None}, format="json").json()
    assert (china["region"], china["region_spec"]) == (None, {"kind": "china"})


def test_another_persons_subscription_is_404(api, jx_forecaster, jx_chair):
    created = api(jx_forecaster).post("/api/v1/subscriptions/", BODY, format="json").json()
    other = api(jx_chair)
    url = f"/api/v1/subscriptions/{created['id']}/"
    assert other.get(url).status_code == 404
    assert other.patch(url, {"min_magnitude": 1}, format="json").status_code == 404
    assert other.delete(url).status_code == 404
    assert other.get("/api/v1/subscriptions/").json()["results"] == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {
                "region": {
                    "type": "Polygon",
                    "coordinates": [[[115, 27], [116, 28], [116, 27], [115, 28], [115, 27]]],
                }
            },
            "region",
        ),
        ({"region": {"type": "Point", "coordinates": [115, 27]}}, "region"),
        ({"region": {"center": [115, 95], "radius_km": 10}}, "region"),
        ({"region": {"center": [115, 28], "radius_km": 0}}, "region"),
        ({"region": {"bureau": "XX"}}, "region"),
        ({"min_magnitude": 11}, "min_magnitude"),
        ({"min_magnitude_night": -3}, "min_magnitude_night"),
        ({"products": ["weather"]}, "products"),
        ({"products": ["anomalies:astrology"]}, "products"),
        ({"channels": ["pigeon"]}, "channels"),
        ({"channels": ["wechat"]}, "wechat_webhook_url"),
        ({"quiet_hours": ["25:00", "06:00"]}, "quiet_hours"),
        ({"quiet_hours": ["06:00", "06:00"]}, "quiet_hours"),
    ],
)
def test_bad_input_is_400_naming_the_field(api, jx_forecaster, disciplines, change, field):
    response = api(jx_forecaster).post("/api/v1/subscriptions/", {**BODY, **change}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


def test_a_person_acting_for_no_bureau_is_refused(api, sysadmin):
    response = api(sysadmin).post("/api/v1/subscriptions/", BODY, format="json")
    assert response.status_code == 403
