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


def test_the_issues_body_with_a_bureau_region_is_201_and_listed(api, jx_forecaster, jx_chair):
    body = {
        "region": {"bureau": "JX"},
        "min_magnitude": 3.0,
        "min_magnitude_night": 4.5,
        "quiet_hours": ["23:00", "06:30"],
        "products": [
            "quick_report",
            "topic_report",
            "postquake_opinion",
            "trend_report_issued",
            "anomalies:fluid",
        ],
        "channels": ["in_app", "email"],
        "suppress_aftershocks": True,
    }
    client = api(jx_forecaster)
    response = client.post("/api/v1/subscriptions/", body, format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["region_spec"] == {"kind": "bureau", "bureau": "JX"}
    assert created["products"] == body["products"]
    assert [r["id"] for r in client.get("/api/v1/subscriptions/").json()["results"]] == [created["id"]]
    assert api(jx_chair).get("/api/v1/subscriptions/").json()["results"] == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"region": "not json at all"}, "region"),
        ({"region": {"type": "Polygon"}}, "region"),
        ({"region": {"type": "Polygon", "coordinates": [[[115, 27], [116, 27], [116, 28]]]}}, "region"),
        (
            {"region": {"type": "Polygon", "coordinates": [[[115, 27], [116, 27], [116, "x"], [115, 27]]]}},
            "region",
        ),
        (
            {"region": {"type": "Polygon", "coordinates": [[[115, 27], [316, 27], [116, 28], [115, 27]]]}},
            "region",
        ),
        ({"region": []}, "region"),
        ({"region": {"bureau": 5}}, "region"),
        ({"region": {"center": [115, 28], "radius_km": "far"}}, "region"),
        ({"quiet_hours": ["9999-12-31T23:00", "06:00"]}, "quiet_hours"),
        ({"quiet_hours": ["23:00+08:00", "06:00"]}, "quiet_hours"),
        ({"min_magnitude": "NaN"}, "min_magnitude"),
        ({"min_magnitude": True}, "min_magnitude"),
        ({"products": []}, "products"),
        ({"products": "quick_report"}, "products"),
        ({"channels": []}, "channels"),
        ({"name": "x" * 101}, "name"),
    ],
)
def test_more_bad_input_is_400_naming_the_field(api, jx_forecaster, disciplines, change, field):
    response = api(jx_forecaster).post("/api/v1/subscriptions/", {**BODY, **change}, format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == [field]


def test_a_nul_byte_is_400_and_nothing_is_stored(api, jx_forecaster):
    client = api(jx_forecaster)
    response = client.post("/api/v1/subscriptions/", {**BODY, "name": "赣北\x00"}, format="json")
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]
    assert client.get("/api/v1/subscriptions/").json()["results"] == []


def test_create_change_delete_are_audited_and_shown_to_the_person(api, client, jx_forecaster, jx_chair):
    from portal.models import AuditEvent

    own = api(jx_forecaster)
    created = own.post("/api/v1/subscriptions/", {**BODY, "name": "赣北"}, format="json").json()
    url = f"/api/v1/subscriptions/{created['id']}/"
    own.patch(url, {"min_magnitude": 2.5, "wechat_webhook_url": ""}, format="json")
    own.patch(url, {"min_magnitude": 2.5}, format="json")  # nothing changes: no row
    own.delete(url)
    rows = AuditEvent.objects.filter(target_type="subscriptions.subscription", target_id=str(created["id"]))
    assert [(r.action, r.actor_id, r.comment) for r in rows.order_by("id")] == [
        ("subscription.create", jx_forecaster.pk, "赣北"),
        ("subscription.update", jx_forecaster.pk, "赣北"),
        ("subscription.delete", jx_forecaster.pk, "赣北"),
    ]
    update = rows.get(action="subscription.update")
    assert update.extra == {"fields": ["min_magnitude"], "min_magnitude": 2.5}
    created_row = rows.get(action="subscription.create")
    assert created_row.extra["products"] == BODY["products"]
    assert "region" not in created_row.extra
    client.force_login(jx_forecaster)
    page = client.get("/subscriptions/").content.decode()
    start = page.index('id="subscription-history"')
    history = page[start : page.index("</ol>", start)]
    assert history.count("赣北") == 3
    for words in ("新建订阅", "修改订阅", "删除订阅"):
        assert words in history
    client.force_login(jx_chair)  # another person sees none of it
    other = client.get("/subscriptions/").content.decode()
    start = other.index('id="subscription-history"')
    assert "赣北" not in other[start : other.index("</ol>", start)]


def test_a_webhook_address_is_not_kept_in_the_audit(api, jx_forecaster):
    from portal.models import AuditEvent

    body = {
        **BODY,
        "channels": ["wechat"],
        "wechat_webhook_url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRET",
    }
    assert api(jx_forecaster).post("/api/v1/subscriptions/", body, format="json").status_code == 201
    row = AuditEvent.objects.get(action="subscription.create")
    assert row.extra["wechat_webhook_url"] is True
    assert "SECRET" not in str(row.extra)
