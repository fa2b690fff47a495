"""Pages of the portal core: sign-in, dashboards per role, switcher, language, administration."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.models import AuditEvent, Bureau, Membership

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_sign_in_with_wrong_password_shows_a_clear_error(client, jx_admin):
    response = client.post("/login/", {"username": "jx_admin", "password": "wrong"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode() or "correct username" in response.content.decode()


def test_repeated_failed_sign_ins_are_locked_out(client, jx_admin):
    for attempt in range(2):
        assert (
            client.post("/login/", {"username": "jx_admin", "password": f"bad{attempt}"}).status_code == 200
        )
    locked = client.post("/login/", {"username": "jx_admin", "password": "bad3"})
    assert locked.status_code == 429
    assert client.post("/login/", {"username": "jx_admin", "password": "pass-word-123"}).status_code == 429


def test_sign_in_and_out(client, jx_viewer):
    response = client.post("/login/", {"username": "jx_viewer", "password": "pass-word-123"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    client.post("/logout/")
    assert client.get("/").status_code == 302


def test_dashboard_is_chinese_by_default(client, jx_admin):
    client.force_login(jx_admin)
    html = client.get("/").content.decode()
    assert '<html lang="zh-hans">' in html
    assert "江西省地震局" in html
    assert "未读通知" in html


def test_english_switch(client, jx_admin):
    client.force_login(jx_admin)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "Unread notifications" in html
    assert "Jiangxi" in html


@pytest.mark.parametrize(
    ("person", "panels"),
    [
        ("jx_admin", {"notifications", "people"}),
        ("jx_viewer", {"notifications"}),
        ("sysadmin", {"notifications", "bureaus"}),
    ],
)
def test_dashboard_shows_the_panels_of_the_persons_roles(client, request, person, panels):
    user = request.getfixturevalue(person)
    client.force_login(user)
    response = client.get("/")
    shown = {panel.key for panel in response.context["panels"]}
    assert panels <= shown
    if person == "jx_viewer":
        assert "people" not in shown


def test_person_without_roles_is_told_so(client, outsider):
    client.force_login(outsider)
    response = client.get("/")
    assert response.status_code == 403
    assert "没有任何角色" in response.content.decode() or "no role" in response.content.decode()


def test_bureau_switcher_changes_the_acting_bureau(client, make_person, jx, nm):
    both = make_person("both", (jx, "forecaster"), (nm, "viewer"))
    client.force_login(both)
    assert client.get("/").context["actor"].bureau == jx
    client.post("/bureau/switch/", {"bureau": "NM", "next": "/"})
    actor = client.get("/").context["actor"]
    assert (actor.bureau, actor.roles) == (nm, {"viewer"})


def test_switching_to_a_bureau_without_a_role_is_refused(client, jx_viewer, nm):
    client.force_login(jx_viewer)
    client.post("/bureau/switch/", {"bureau": "NM", "next": "/"})
    assert client.get("/").context["actor"].bureau.code == "JX"


def test_switcher_ignores_foreign_redirects(client, jx_viewer):
    client.force_login(jx_viewer)
    response = client.post("/bureau/switch/", {"bureau": "JX", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_jurisdictions_geojson_for_the_maps_is_public(client, jx, nm, cenc):
    collection = client.get("/bureaus.geojson").json()
    assert [f["properties"]["code"] for f in collection["features"]] == ["JX", "NM"]
    assert collection["features"][0]["geometry"]["type"] == "MultiPolygon"


# --- administration pages -------------------------------------------------------------


@pytest.mark.parametrize(
    ("person", "status"), [("sysadmin", 200), ("jx_admin", 403), ("jx_viewer", 403), ("outsider", 403)]
)
def test_only_system_admin_manages_bureaus(client, request, jx, person, status):
    client.force_login(request.getfixturevalue(person))
    assert client.get("/manage/bureaus/").status_code == status
    assert client.get("/manage/bureaus/JX/").status_code == status


def test_system_admin_creates_a_bureau_on_the_page(client, sysadmin):
    client.force_login(sysadmin)
    form = {
        "code": "HB",
        "name_zh": "湖北省地震局",
        "name_en": "Hubei",
        "kind": "provincial",
        "is_active": "on",
        "jurisdiction": '{"type":"Polygon","coordinates":[[[108,29],[116,29],[116,33],[108,33],[108,29]]]}',
    }
    response = client.post("/manage/bureaus/new/", form)
    assert response.status_code == 302
    assert Bureau.objects.get(code="HB").jurisdiction.num_geom == 1


def test_bureau_page_shows_why_a_jurisdiction_is_refused(client, sysadmin):
    client.force_login(sysadmin)
    bowtie = '{"type":"Polygon","coordinates":[[[100,30],[101,31],[101,30],[100,31],[100,30]]]}'
    form = {"code": "HB", "name_zh": "湖北", "name_en": "Hubei", "kind": "provincial", "jurisdiction": bowtie}
    response = client.post("/manage/bureaus/new/", form)
    assert response.status_code == 200
    page = response.content.decode()
    # in the reader's language (zh-hans by default), with the point to look at; not GEOS's words
    assert "区域不是有效的多边形：边界自相交，位置约在 100.5000, 30.5000" in page
    assert "Self-intersection" not in page
    assert not Bureau.objects.filter(code="HB").exists()


def test_duplicate_code_is_a_form_error(client, sysadmin, jx):
    client.force_login(sysadmin)
    form = {"code": "jx", "name_zh": "x", "name_en": "x", "kind": "provincial"}
    response = client.post("/manage/bureaus/new/", form)
    assert response.status_code == 200
    assert "JX" in str(response.context["form"].errors["code"])


def test_bureau_admin_adds_a_person_with_a_role(client, jx_admin, disciplines):
    client.force_login(jx_admin)
    form = {
        "username": "wang",
        "display_name": "王工",
        "password": "a-long-pass-2026",
        "role": "expert",
        "discipline": "fluid",
    }
    response = client.post("/manage/people/new/", form)
    assert response.status_code == 302
    membership = Membership.objects.get(user__username="wang")
    assert (membership.bureau.code, membership.role, membership.discipline.code) == ("JX", "expert", "fluid")


def test_people_list_shows_only_the_admins_bureau(client, jx_admin, jx_viewer, nm_forecaster):
    client.force_login(jx_admin)
    names = [p.username for p in client.get("/manage/people/").context["page"]]
    assert names == ["jx_admin", "jx_viewer"]


def test_bureau_admin_cannot_open_or_change_another_bureaus_person(client, jx_admin, nm_forecaster):
    client.force_login(jx_admin)
    url = reverse("person-detail", args=[nm_forecaster.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "deactivate"}).status_code == 404
    nm_forecaster.refresh_from_db()
    assert nm_forecaster.is_active


def test_bureau_admin_cannot_revoke_another_bureaus_membership_by_id(
    client, jx_admin, jx_viewer, nm_forecaster
):
    client.force_login(jx_admin)
    foreign = Membership.objects.get(user=nm_forecaster)
    client.post(reverse("person-detail", args=[jx_viewer.pk]), {"action": "revoke", "membership": foreign.pk})
    foreign.refresh_from_db()
    assert foreign.revoked_at is None


def test_grant_revoke_deactivate_on_the_person_page(client, jx_admin, jx_viewer):
    client.force_login(jx_admin)
    url = reverse("person-detail", args=[jx_viewer.pk])
    client.post(url, {"action": "grant", "role": "reporter", "discipline": ""})
    assert set(Membership.objects.filter(user=jx_viewer, revoked_at=None).values_list("role", flat=True)) == {
        "viewer",
        "reporter",
    }
    viewer_grant = Membership.objects.get(user=jx_viewer, role="viewer")
    client.post(url, {"action": "revoke", "membership": viewer_grant.pk})
    client.post(url, {"action": "deactivate"})
    jx_viewer.refresh_from_db()
    assert not jx_viewer.is_active
    assert list(AuditEvent.objects.order_by("id").values_list("action", flat=True)) == [
        "membership.grant",
        "membership.revoke",
        "user.deactivate",
    ]
    page = client.get(url).content.decode()
    assert "membership.revoke" in page


def test_admin_cannot_deactivate_themself(client, jx_admin):
    client.force_login(jx_admin)
    client.post(reverse("person-detail", args=[jx_admin.pk]), {"action": "deactivate"})
    jx_admin.refresh_from_db()
    assert jx_admin.is_active


def test_notifications_page_lists_and_marks_read(client, jx_viewer):
    from portal.services import notify_user

    notify_user(user=jx_viewer, title="请核实 JX 台站异常")
    client.force_login(jx_viewer)
    assert "请核实" in client.get("/notifications/").content.decode()
    client.post("/notifications/")
    assert jx_viewer.notifications.filter(read_at=None).count() == 0


def test_django_admin_lists_bureaus_for_system_admin(client, sysadmin, jx):
    client.force_login(sysadmin)
    assert client.get("/admin/portal/bureau/").status_code == 200
    assert client.get(f"/admin/portal/bureau/{jx.pk}/change/").status_code == 200
