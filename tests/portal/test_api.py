"""The portal core's API: token, bureaus, users, me; errors are JSON with a message."""

from __future__ import annotations

import pytest

from portal.models import AuditEvent, Bureau, Membership, User

pytestmark = pytest.mark.django_db

SQUARE = {"type": "Polygon", "coordinates": [[[100, 30], [101, 30], [101, 31], [100, 31], [100, 30]]]}
BOWTIE = {"type": "Polygon", "coordinates": [[[100, 30], [101, 31], [101, 30], [100, 31], [100, 30]]]}


def test_token_is_issued_for_right_password(api, jx_admin):
    response = api().post(
        "/api/v1/auth/token/", {"username": "jx_admin", "password": "pass-word-123"}, format="json"
    )
    assert response.status_code == 200
    me = api().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert me.json()["username"] == "jx_admin"
    assert me.json()["bureau"] == "JX"
    assert me.json()["roles"] == ["bureau_admin"]


def test_wrong_password_is_refused_with_a_message(api, jx_admin):
    response = api().post("/api/v1/auth/token/", {"username": "jx_admin", "password": "nope"}, format="json")
    assert response.status_code == 400
    assert (
        "Wrong username or password" in response.json()["detail"]
        or "用户名或密码" in response.json()["detail"]
    )


def test_repeated_failures_are_throttled(api, jx_admin):
    client = api()
    codes = [
        client.post(
            "/api/v1/auth/token/", {"username": "jx_admin", "password": f"bad{i}"}, format="json"
        ).status_code
        for i in range(4)
    ]
    assert codes == [400, 400, 429, 429]  # the test settings lock out at the third failure
    # even the right password waits out the lockout
    right = client.post(
        "/api/v1/auth/token/", {"username": "jx_admin", "password": "pass-word-123"}, format="json"
    )
    assert right.status_code == 429
    assert "Too many" in right.json()["detail"] or "登录失败次数过多" in right.json()["detail"]


def test_missing_fields_name_the_field(api):
    response = api().post("/api/v1/auth/token/", {"username": "x"}, format="json")
    assert response.status_code == 400
    assert "password" in response.json()["errors"]


def test_anonymous_gets_json_401(api, jx):
    response = api().get("/api/v1/bureaus/")
    assert response.status_code == 401
    assert response.json()["detail"]


def test_every_member_lists_and_reads_bureaus(api, jx_viewer, nm):
    response = api(jx_viewer).get("/api/v1/bureaus/")
    assert response.status_code == 200
    assert [b["code"] for b in response.json()["results"]] == ["JX", "NM"]
    detail = api(jx_viewer).get("/api/v1/bureaus/NM/")
    assert detail.json()["jurisdiction"]["type"] == "MultiPolygon"


def test_unknown_bureau_is_json_404(api, jx_viewer):
    response = api(jx_viewer).get("/api/v1/bureaus/XX/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."} or response.json()["detail"]


def test_system_admin_creates_bureau_and_polygon_becomes_multipolygon(api, sysadmin):
    body = {
        "code": "gs",
        "name_zh": "甘肃省地震局",
        "name_en": "Gansu",
        "kind": "provincial",
        "jurisdiction": SQUARE,
    }
    response = api(sysadmin).post("/api/v1/bureaus/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["code"] == "GS"
    assert Bureau.objects.get(code="GS").jurisdiction.geom_type == "MultiPolygon"
    assert AuditEvent.objects.filter(
        action="bureau.create", target_id=str(Bureau.objects.get(code="GS").pk)
    ).exists()


def test_bureau_admin_cannot_create_bureau(api, jx_admin):
    body = {"code": "GS", "name_zh": "甘肃", "name_en": "Gansu", "kind": "provincial"}
    response = api(jx_admin).post("/api/v1/bureaus/", body, format="json")
    assert response.status_code == 403
    assert not Bureau.objects.filter(code="GS").exists()


def test_duplicate_bureau_code_is_400_naming_the_field(api, sysadmin, jx):
    body = {"code": "JX", "name_zh": "x", "name_en": "x", "kind": "provincial"}
    response = api(sysadmin).post("/api/v1/bureaus/", body, format="json")
    assert response.status_code == 400
    assert "code" in response.json()["errors"]
    assert Bureau.objects.get(code="JX").name_zh == "江西省地震局"


@pytest.mark.parametrize(
    ("jurisdiction", "says"),
    [
        (BOWTIE, "边界自相交"),
        ({"type": "Point", "coordinates": [100, 30]}, "Point"),
        ("not json at all", "GeoJSON"),
        ({"type": "Polygon", "coordinates": [[[200, 30], [201, 30], [201, 31], [200, 30]]]}, "-180..180"),
    ],
)
def test_malformed_jurisdiction_is_400_saying_why(api, sysadmin, jurisdiction, says):
    body = {
        "code": "GS",
        "name_zh": "甘肃",
        "name_en": "Gansu",
        "kind": "provincial",
        "jurisdiction": jurisdiction,
    }
    response = api(sysadmin).post("/api/v1/bureaus/", body, format="json")
    assert response.status_code == 400
    assert says in response.json()["detail"]
    assert "jurisdiction" in response.json()["errors"]
    for geos_words in ("Self-intersection", "GEOS", "OGR_", "pointer"):  # never the library's own text
        assert geos_words not in response.json()["detail"]
    assert not Bureau.objects.filter(code="GS").exists()


def test_system_admin_updates_bureau_by_code(api, sysadmin, jx):
    response = api(sysadmin).patch("/api/v1/bureaus/JX/", {"name_en": "Jiangxi EA"}, format="json")
    assert response.status_code == 200
    jx.refresh_from_db()
    assert jx.name_en == "Jiangxi EA"


def test_bureau_admin_cannot_update_bureau(api, jx_admin, jx):
    response = api(jx_admin).patch("/api/v1/bureaus/JX/", {"name_en": "hacked"}, format="json")
    assert response.status_code == 403
    jx.refresh_from_db()
    assert jx.name_en == "Jiangxi"


def _person(bureau="JX", role="expert", discipline="fluid", username="new_expert"):
    return {
        "username": username,
        "password": "a-long-pass-2026",
        "display_name": "新专家",
        "memberships": [{"bureau": bureau, "role": role, "discipline": discipline}],
    }


def test_bureau_admin_adds_person_to_own_bureau(api, jx_admin):
    response = api(jx_admin).post("/api/v1/users/", _person(), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["memberships"][0] | {"id": 0} == {
        "id": 0,
        "bureau": "JX",
        "role": "expert",
        "discipline": "fluid",
    }
    user = User.objects.get(username="new_expert")
    assert user.check_password("a-long-pass-2026")


def test_bureau_admin_adding_person_to_another_bureau_gets_403_and_nothing_stored(api, jx_admin, nm):
    response = api(jx_admin).post("/api/v1/users/", _person(bureau="NM"), format="json")
    assert response.status_code == 403
    assert "NM" in response.json()["detail"]
    assert not User.objects.filter(username="new_expert").exists()


def test_system_admin_adds_person_in_any_bureau(api, sysadmin, nm):
    response = api(sysadmin).post(
        "/api/v1/users/", _person(bureau="NM", role="chair", discipline=None), format="json"
    )
    assert response.status_code == 201


def test_weak_password_and_bad_role_name_the_field(api, jx_admin):
    weak = _person() | {"password": "123"}
    response = api(jx_admin).post("/api/v1/users/", weak, format="json")
    assert response.status_code == 400
    assert "password" in response.json()["errors"]
    bad_role = _person(role="king")
    response = api(jx_admin).post("/api/v1/users/", bad_role, format="json")
    assert response.status_code == 400
    assert "role" in response.json()["detail"]


def test_duplicate_username_is_400(api, jx_admin, jx_viewer):
    response = api(jx_admin).post("/api/v1/users/", _person(username="jx_viewer"), format="json")
    assert response.status_code == 400
    assert "username" in response.json()["errors"]


def test_user_list_is_scoped_to_the_admins_bureau(api, jx_admin, jx_viewer, nm_admin, nm_forecaster):
    jx_names = [u["username"] for u in api(jx_admin).get("/api/v1/users/").json()["results"]]
    nm_names = [u["username"] for u in api(nm_admin).get("/api/v1/users/").json()["results"]]
    assert jx_names == ["jx_admin", "jx_viewer"]
    assert nm_names == ["nm_admin", "nm_forecaster"]


def test_bureau_admin_cannot_read_or_change_another_bureaus_person(api, jx_admin, nm_forecaster):
    client = api(jx_admin)
    assert client.get(f"/api/v1/users/{nm_forecaster.pk}/").status_code == 404
    response = client.patch(f"/api/v1/users/{nm_forecaster.pk}/", {"is_active": False}, format="json")
    assert response.status_code == 404
    nm_forecaster.refresh_from_db()
    assert nm_forecaster.is_active


def test_non_admin_cannot_list_people(api, jx_forecaster):
    assert api(jx_forecaster).get("/api/v1/users/").status_code == 403


def test_bureau_admin_grants_revokes_and_deactivates(api, jx_admin, jx_viewer):
    client = api(jx_admin)
    grants = [{"bureau": "JX", "role": "viewer"}, {"bureau": "JX", "role": "reporter"}]
    response = client.patch(f"/api/v1/users/{jx_viewer.pk}/", {"memberships": grants}, format="json")
    assert sorted(m["role"] for m in response.json()["memberships"]) == ["reporter", "viewer"]
    response = client.patch(f"/api/v1/users/{jx_viewer.pk}/", {"memberships": grants[1:]}, format="json")
    assert [m["role"] for m in response.json()["memberships"]] == ["reporter"]
    assert Membership.objects.filter(user=jx_viewer, role="viewer", revoked_at__isnull=False).exists()
    response = client.patch(f"/api/v1/users/{jx_viewer.pk}/", {"is_active": False}, format="json")
    assert response.json()["is_active"] is False
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["membership.grant", "membership.revoke", "user.deactivate"]


def test_deactivated_persons_token_stops_working(api, jx_admin, jx_viewer):
    viewer_client = api(jx_viewer)
    assert viewer_client.get("/api/v1/me/").status_code == 200
    api(jx_admin).patch(f"/api/v1/users/{jx_viewer.pk}/", {"is_active": False}, format="json")
    assert viewer_client.get("/api/v1/me/").status_code == 401


def test_person_in_two_bureaus_acts_in_the_one_named(api, make_person, jx, nm):
    both = make_person("both", (jx, "forecaster"), (nm, "viewer"))
    assert api(both).get("/api/v1/me/").json()["bureau"] == "JX"
    me = api(both, bureau="NM").get("/api/v1/me/").json()
    assert (me["bureau"], me["roles"]) == ("NM", ["viewer"])
    refused = api(both, bureau="GD").get("/api/v1/bureaus/")
    assert refused.status_code == 403


def test_schema_and_docs_are_served(client, jx_viewer):
    client.force_login(jx_viewer)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/bureaus/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content.lower()


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response.json()["detail"]
