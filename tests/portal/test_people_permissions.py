"""Who may read and change whom (issue 9, item 2): the matrix, through the pages and the API.

A bureau admin of X (here ``nm_admin``, X = NM, Y = JX) reads the people holding an
active role in X; changes the account (password, name, e-mail, active flag) only of
people whose every active role is in X; grants and revokes roles of X only; never
touches a system admin. A revoked membership grants nothing: a former member of X is
not shown to X's admin at all. 404 for what is not yours to see, 403 for what you
may see but not do; a denied call changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.auth.hashers import check_password
from django.urls import reverse
from django.utils import timezone

from portal import services
from portal.exceptions import NotFound, PermissionDenied
from portal.middleware import SESSION_BUREAU_KEY
from portal.models import AuditEvent, Membership, User
from portal.selectors import bureau_inactive_people

if TYPE_CHECKING:
    from collections.abc import Callable

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-pass-2026"

# The kinds of person, seen from the admin of X (NM):
KINDS = {
    "x_only": "viewer in X",
    "x_and_y": "viewer in X, forecaster in Y",
    "revoked_x": "viewer in X revoked, forecaster in Y",
    "none_x": "forecaster in Y only",
    "sysadmin_in_x": "a system admin who is also a viewer in X",
    "sysadmin": "a system admin with no role",
}


@pytest.fixture
def people(make_person, jx, nm) -> dict[str, User]:
    revoked = make_person("revoked_x", (nm, "viewer"), (jx, "forecaster"))
    Membership.objects.filter(user=revoked, bureau=nm).update(revoked_at=timezone.now())
    return {
        "x_only": make_person("x_only", (nm, "viewer"), display_name="甲"),
        "x_and_y": make_person("x_and_y", (nm, "viewer"), (jx, "forecaster"), display_name="乙"),
        "revoked_x": revoked,
        "none_x": make_person("none_x", (jx, "forecaster")),
        "sysadmin_in_x": make_person("sysadmin_in_x", (nm, "viewer"), superuser=True),
        "sysadmin": make_person("other_sysadmin", superuser=True),
    }


# --- the operations ------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One operation on one person; ``kwargs`` reach it with the X and Y membership ids."""

    run: Callable[..., Any]
    listing: bool = False


def _x(person: User) -> Membership | None:
    return Membership.objects.filter(user=person, bureau__code="NM").order_by("-id").first()


def _y(person: User) -> Membership | None:
    return Membership.objects.filter(user=person, bureau__code="JX").first()


def _x_grants(person: User) -> list[dict[str, Any]]:
    rows = Membership.objects.filter(user=person, bureau__code="NM", revoked_at=None)
    return [{"bureau": "NM", "role": m.role} for m in rows]


def _detail(person: User) -> str:
    return reverse("person-detail", args=[person.pk])


def _api(person: User) -> str:
    return f"/api/v1/users/{person.pk}/"


PAGE: dict[str, Call] = {
    "read": Call(lambda c, p: c.get(_detail(p))),
    "list": Call(lambda c, p: c.get(reverse("people-list")), listing=True),
    "deactivate": Call(lambda c, p: c.post(_detail(p), {"action": "deactivate"})),
    "grant_x": Call(lambda c, p: c.post(_detail(p), {"action": "grant", "role": "reporter"})),
    "revoke_x": Call(lambda c, p: c.post(_detail(p), {"action": "revoke", "membership": _x(p).pk})),
    "revoke_y": Call(lambda c, p: c.post(_detail(p), {"action": "revoke", "membership": _y(p).pk})),
}

API: dict[str, Call] = {
    "read": Call(lambda c, p: c.get(_api(p))),
    "list": Call(lambda c, p: c.get("/api/v1/users/"), listing=True),
    "password": Call(lambda c, p: c.patch(_api(p), {"password": NEW_PASSWORD}, format="json")),
    "deactivate": Call(lambda c, p: c.patch(_api(p), {"is_active": False}, format="json")),
    "name_email": Call(
        lambda c, p: c.patch(_api(p), {"display_name": "改名", "email": "x@example.org"}, format="json")
    ),
    "grant_x": Call(
        lambda c, p: c.patch(
            _api(p), {"memberships": [*_x_grants(p), {"bureau": "NM", "role": "reporter"}]}, format="json"
        )
    ),
    "grant_y": Call(
        lambda c, p: c.patch(
            _api(p), {"memberships": [*_x_grants(p), {"bureau": "JX", "role": "reporter"}]}, format="json"
        )
    ),
    # ``memberships`` is the person's roles in the actor's bureau: [] revokes the X ones.
    # The API has no way to name a Y role for revocation (naming Y at all is grant_y, 403).
    "revoke_x": Call(lambda c, p: c.patch(_api(p), {"memberships": []}, format="json")),
}

LISTED, ABSENT, NA = "listed", "absent", None

# Bureau admin of X. One row per kind of person; NA where the operation does not apply
# (the person has no such membership).
#            read   list    password deact  name  grant_x grant_y revoke_x revoke_y
BUREAU_ADMIN = {
    "x_only": (200, LISTED, 200, 200, 200, 200, 403, 200, NA),
    "x_and_y": (200, LISTED, 403, 403, 403, 200, 403, 200, 404),
    "revoked_x": (404, ABSENT, 404, 404, 404, 404, 404, 404, 404),
    "none_x": (404, ABSENT, 404, 404, 404, 404, 404, NA, 404),
    "sysadmin_in_x": (200, LISTED, 403, 403, 403, 403, 403, 403, NA),
    "sysadmin": (404, ABSENT, 404, 404, 404, 404, 404, NA, NA),
}
# A system admin, acting in X, may do everything to everyone (a revoked X role stays revoked).
SYSTEM_ADMIN = {
    "x_only": (200, LISTED, 200, 200, 200, 200, 200, 200, NA),
    "x_and_y": (200, LISTED, 200, 200, 200, 200, 200, 200, 200),
    "revoked_x": (200, LISTED, 200, 200, 200, 200, 200, NA, 200),
    "none_x": (200, LISTED, 200, 200, 200, 200, 200, NA, 200),
    "sysadmin_in_x": (200, LISTED, 200, 200, 200, 200, 200, 200, NA),
    "sysadmin": (200, LISTED, 200, 200, 200, 200, 200, NA, NA),
}
COLUMNS = (
    "read",
    "list",
    "password",
    "deactivate",
    "name_email",
    "grant_x",
    "grant_y",
    "revoke_x",
    "revoke_y",
)


def _cases() -> list[Any]:
    cases = []
    for actor, table in (("bureau_admin", BUREAU_ADMIN), ("system_admin", SYSTEM_ADMIN)):
        for kind, row in table.items():
            for op, expected in zip(COLUMNS, row, strict=True):
                for interface, calls in (("page", PAGE), ("api", API)):
                    if expected is NA or op not in calls:
                        continue
                    status = expected
                    if interface == "page" and expected == 200 and op not in ("read", "list"):
                        status = 302  # a page action answers with a redirect
                    cases.append(
                        pytest.param(
                            actor, kind, interface, op, status, id=f"{actor}-{kind}-{interface}-{op}"
                        )
                    )
    return cases


def _state(person: User) -> dict[str, Any]:
    person = User.objects.get(pk=person.pk)
    return {
        "account": (person.password, person.display_name, person.email, person.phone, person.is_active),
        "memberships": sorted(
            Membership.objects.filter(user=person).values_list("id", "role", "bureau__code", "revoked_at")
        ),
        "audit": AuditEvent.objects.count(),
    }


@pytest.fixture
def acting(client, api, nm_admin, sysadmin):
    """``acting(actor_kind, interface)`` → a client of that actor, acting in X (NM)."""

    def make(actor_kind: str, interface: str) -> Any:
        user = nm_admin if actor_kind == "bureau_admin" else sysadmin
        if interface == "api":
            return api(user, bureau="NM")
        client.force_login(user)
        session = client.session
        session[SESSION_BUREAU_KEY] = "NM"
        session.save()
        return client

    return make


@pytest.mark.parametrize(("actor_kind", "kind", "interface", "op", "expected"), _cases())
def test_people_permission_matrix(acting, people, actor_kind, kind, interface, op, expected):
    # given
    person = people[kind]
    call = (PAGE if interface == "page" else API)[op]
    before = _state(person)
    # when
    response = call.run(acting(actor_kind, interface), person)
    # then
    if call.listing:
        assert response.status_code == 200
        if interface == "page":
            names = [p.username for p in response.context["page"]]
        else:
            names = [u["username"] for u in response.json()["results"]]
        assert (person.username in names) == (expected == LISTED)
        assert _state(person) == before
        return
    assert response.status_code == expected
    if expected >= 400 or op == "read":
        assert _state(person) == before
    else:
        assert _state(person) != before
    if interface == "api" and expected == 403:
        assert response.json()["detail"]


def test_zone_forecaster_scenario(api, client, make_person, jx, nm, nm_admin):
    """nm_admin may not take over zone_forecaster (forecaster in JX, viewer in NM)."""
    # given
    zone = make_person("zone_forecaster", (jx, "forecaster"), (nm, "viewer"))
    admin = api(nm_admin)
    # when nm_admin sets their password, then it is refused and the old one still works
    response = admin.patch(f"/api/v1/users/{zone.pk}/", {"password": NEW_PASSWORD}, format="json")
    assert response.status_code == 403
    taken = api().post(
        "/api/v1/auth/token/", {"username": "zone_forecaster", "password": NEW_PASSWORD}, format="json"
    )
    assert taken.status_code == 400
    # nm_admin still reads them and manages their NM role
    assert admin.get(f"/api/v1/users/{zone.pk}/").status_code == 200
    nm_role = Membership.objects.get(user=zone, bureau=nm)
    client.force_login(nm_admin)
    revoked = client.post(_detail(zone), {"action": "revoke", "membership": nm_role.pk})
    assert revoked.status_code == 302
    assert revoked["Location"] == reverse("people-list")
    # once the NM role is revoked, nm_admin can no longer see, edit or deactivate them
    before = _state(zone)
    assert admin.get(f"/api/v1/users/{zone.pk}/").status_code == 404
    assert admin.patch(f"/api/v1/users/{zone.pk}/", {"is_active": False}, format="json").status_code == 404
    assert admin.patch(f"/api/v1/users/{zone.pk}/", {"display_name": "x"}, format="json").status_code == 404
    assert client.post(_detail(zone), {"action": "deactivate"}).status_code == 404
    assert client.get(_detail(zone)).status_code == 404
    assert _state(zone) == before
    zone.refresh_from_db()
    assert zone.is_active
    assert check_password("pass-word-123", zone.password)
    assert list(
        Membership.objects.filter(user=zone, revoked_at=None).values_list("bureau__code", "role")
    ) == [("JX", "forecaster")]


def test_person_page_offers_no_account_change_for_a_person_of_two_bureaus(client, people, nm_admin):
    client.force_login(nm_admin)
    page = client.get(_detail(people["x_and_y"])).content.decode()
    assert 'id="account-locked"' in page
    assert 'value="deactivate"' not in page
    assert 'id="grant-form"' in page
    assert 'id="account-locked"' not in client.get(_detail(people["x_only"])).content.decode()


def test_api_answer_after_revoking_the_last_role_shows_no_role_of_the_bureau(api, people, nm_admin):
    response = api(nm_admin).patch(_api(people["x_and_y"]), {"memberships": []}, format="json")
    assert response.status_code == 200
    assert response.json()["memberships"] == []  # the JX role is not the NM admin's to see


def test_services_recheck_the_rules(as_actor, people, nm_admin, jx):
    """Celery tasks and commands call the services directly: they refuse the same things."""
    actor = as_actor(nm_admin)
    x_and_y, none_x = people["x_and_y"], people["none_x"]
    before = _state(x_and_y)
    with pytest.raises(PermissionDenied):
        services.user_update(actor=actor, user=x_and_y, password=NEW_PASSWORD)
    with pytest.raises(PermissionDenied):
        services.user_deactivate(actor=actor, user=x_and_y)
    with pytest.raises(PermissionDenied):
        services.membership_revoke(actor=actor, membership=_y(x_and_y))
    with pytest.raises(PermissionDenied):
        services.membership_grant(actor=actor, user=x_and_y, bureau_code="JX", role="viewer")
    assert _state(x_and_y) == before
    with pytest.raises(NotFound):
        services.membership_grant(actor=actor, user=none_x, bureau_code="NM", role="viewer")
    with pytest.raises(NotFound):
        services.user_update(actor=actor, user=none_x, display_name="x")
    assert not Membership.objects.filter(user=none_x, bureau__code="NM").exists()


def test_dashboard_lists_deactivated_people_only_while_they_hold_a_role(make_person, nm):
    # given two deactivated people, one of whom no longer holds a role in NM
    current = make_person("current", (nm, "viewer"), is_active=False)
    former = make_person("former", (nm, "viewer"), is_active=False)
    Membership.objects.filter(user=former).update(revoked_at=timezone.now())
    # then
    assert list(bureau_inactive_people(bureau=nm)) == [current]


def test_bureau_admin_is_not_let_into_the_django_admin(client, nm_admin, people):
    client.force_login(nm_admin)
    response = client.get(f"/admin/portal/user/{people['x_only'].pk}/change/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("value", ["", "abc", "-1", "99999999999999999999999"])
def test_revoking_with_a_bad_membership_id_is_refused_with_a_message(client, people, nm_admin, value):
    client.force_login(nm_admin)
    before = _state(people["x_only"])
    response = client.post(_detail(people["x_only"]), {"action": "revoke", "membership": value}, follow=True)
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == ["请选择要撤销的角色。"]  # zh-hans by default
    assert _state(people["x_only"]) == before
