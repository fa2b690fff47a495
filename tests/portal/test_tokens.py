"""Personal API tokens: made with a session and shown once, scopes enforced per operation,
revoked and expired ones refused, the owner's roles of the moment, the per-token rate, the
log of every request, the bureau admin's list and revocation, and bad input."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from portal.models import ApiToken, ApiTokenUse, AuditEvent, Membership, Notification, TokenScope
from portal.tenancy import actor_for
from portal.token_auth import PersonalTokenThrottle
from portal.token_services import token_create, token_revoke, token_uses_prune
from portal.tokens import _wait
from tests.factories import EventFactory

pytestmark = pytest.mark.django_db

SOON = dt.timedelta(days=30)


def make_token(user, scopes, *, bureau=None, rate_limit=None):
    """A token of ``user`` (acting in ``bureau``, default their first), with its secret."""
    return token_create(
        actor=actor_for(user, bureau),
        name="数据脚本",
        scopes=scopes,
        expires=timezone.now() + SOON,
        rate_limit=rate_limit,
    )


def bearer(secret: str, **headers: str) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}", **headers)
    return client


def signed_in(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def later(days: int = 30) -> str:
    return (timezone.now() + dt.timedelta(days=days)).isoformat()


# --- making a token -------------------------------------------------------------------------


def test_a_token_made_with_a_session_shows_its_secret_once_and_stores_only_its_digest(jx_forecaster):
    # given a forecaster signed in
    client = signed_in(jx_forecaster)
    # when they make a token
    response = client.post(
        "/api/v1/tokens/",
        {"name": "台站上传", "scopes": ["series:read", "catalog:read"], "expires": later()},
        format="json",
    )
    # then the answer holds the secret, the database only its digest
    assert response.status_code == 201, response.json()
    body = response.json()
    secret = body["secret"]
    assert secret.startswith("ispat_")
    assert len(secret) == len("ispat_") + 43
    token = ApiToken.objects.get()
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(list(ApiToken.objects.values()))
    assert (body["bureau"], body["scopes"], body["standing"]) == (
        "JX",
        ["catalog:read", "series:read"],
        "active",
    )
    assert body["hint"] == secret[:10]
    # and listing it never shows the secret again
    listed = client.get("/api/v1/tokens/").json()["results"]
    assert [t["id"] for t in listed] == [token.pk]
    assert "secret" not in listed[0]
    assert client.get(f"/api/v1/tokens/{token.pk}/").json()["name"] == "台站上传"
    # and the making is in the audit trail
    audit = AuditEvent.objects.get(action="token.create")
    assert (audit.actor, audit.bureau.code, audit.target_id) == (jx_forecaster, "JX", str(token.pk))
    assert audit.extra["scopes"] == ["catalog:read", "series:read"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"expires": "past"}, "expires"),
        ({"expires": "two years"}, "expires"),
        ({"scopes": ["catalog:write"]}, "scopes"),
        ({"scopes": []}, "scopes"),
        ({"name": "   "}, "name"),
        ({"name": "a\u200bb"}, "name"),
        ({"bureau": "NM"}, "bureau"),
        ({"rate_limit": 100_000}, "rate_limit"),
        ({"rate_limit": 0}, "rate_limit"),
        ({"expires": "2026-13-01"}, "expires"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(jx_forecaster, body, field):
    # given a valid request, but for one field
    data = {"name": "脚本", "scopes": ["catalog:read"], "expires": later(), **body}
    if data["expires"] == "past":
        data["expires"] = (timezone.now() - dt.timedelta(minutes=1)).isoformat()
    elif data["expires"] == "two years":
        data["expires"] = later(days=800)
    # when it is sent
    response = signed_in(jx_forecaster).post("/api/v1/tokens/", data, format="json")
    # then it is refused naming that field, and no token is made
    assert response.status_code == 400, response.json()
    assert list(response.json()["errors"]) == [field]
    assert not ApiToken.objects.exists()


def test_a_nul_byte_is_refused(jx_forecaster):
    data = json.dumps({"name": "a\x00b", "scopes": ["catalog:read"], "expires": later()})
    assert "\\u0000" in data
    response = signed_in(jx_forecaster).post("/api/v1/tokens/", data, content_type="application/json")
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_a_token_acts_for_a_bureau_of_the_owner_it_names(make_person, jx, nm):
    # given a person of JX and NM
    person = make_person("two_bureaus", (jx, "forecaster"), (nm, "viewer"))
    # when they make a token for NM while acting in JX
    response = signed_in(person).post(
        "/api/v1/tokens/",
        {"name": "蒙数据", "scopes": ["catalog:read"], "expires": later(), "bureau": "nm"},
        format="json",
    )
    # then it acts for NM
    assert response.status_code == 201
    me = bearer(response.json()["secret"]).get("/api/v1/me/")
    assert me.status_code == 403  # account:read was not chosen
    assert ApiToken.objects.get().bureau == nm


def test_a_system_admin_makes_no_tokens(sysadmin, jx):
    response = signed_in(sysadmin).post(
        "/api/v1/tokens/",
        {"name": "全部", "scopes": ["catalog:read"], "expires": later(), "bureau": "JX"},
        format="json",
        HTTP_X_BUREAU="JX",
    )
    assert response.status_code == 403
    assert not ApiToken.objects.exists()


def test_a_person_holds_a_bounded_number_of_live_tokens(jx_forecaster, settings):
    settings.PERSONAL_TOKEN_MAX_PER_PERSON = 2
    make_token(jx_forecaster, ["catalog:read"])
    token, _secret = make_token(jx_forecaster, ["catalog:read"])
    response = signed_in(jx_forecaster).post(
        "/api/v1/tokens/", {"name": "第三个", "scopes": ["catalog:read"], "expires": later()}, format="json"
    )
    assert response.status_code == 400
    token_revoke(actor=actor_for(jx_forecaster), token=token)
    response = signed_in(jx_forecaster).post(
        "/api/v1/tokens/", {"name": "第三个", "scopes": ["catalog:read"], "expires": later()}, format="json"
    )
    assert response.status_code == 201


# --- scopes -----------------------------------------------------------------------------------


def test_a_token_reaches_what_its_scopes_open_and_is_refused_elsewhere_naming_the_scope(jx_forecaster):
    # given a token that reads the catalog only
    _token, secret = make_token(jx_forecaster, ["catalog:read"])
    client = bearer(secret)
    # then the catalog answers
    assert client.get("/api/v1/events/").status_code == 200
    assert client.get("/api/v1/quick-reports/").status_code == 200
    # and the rest is refused with the scope it lacks named
    anomalies = client.get("/api/v1/anomalies/")
    assert anomalies.status_code == 403
    assert "anomalies:read" in anomalies.json()["detail"]
    submit = client.post("/api/v1/quick-reports/", {"text": "x"}, format="json")
    assert submit.status_code == 403
    assert "quick_reports:submit" in submit.json()["detail"]
    assert "series:read" in client.get("/api/v1/series/").json()["detail"]


def test_operations_that_name_no_scope_refuse_every_token(jx_admin):
    # given a token with every scope, of a bureau admin
    _token, secret = make_token(jx_admin, [scope.value for scope in TokenScope])
    client = bearer(secret)
    # then tokens cannot make, list or revoke tokens, manage people, or read the schema
    for method, path in [
        ("post", "/api/v1/tokens/"),
        ("get", "/api/v1/tokens/"),
        ("get", "/api/v1/users/"),
        ("post", "/api/v1/notifications/read/"),
        ("get", "/api/schema/?format=json"),
    ]:
        response = getattr(client, method)(path, {}, format="json")
        assert response.status_code == 403, (method, path, response.status_code)
        assert "cannot be used" in response.json()["detail"]
    assert ApiToken.objects.count() == 1


def test_sessions_and_sign_in_tokens_are_not_concerned_by_scopes(api, jx_forecaster):
    assert api(jx_forecaster).get("/api/v1/anomalies/").status_code == 200
    assert signed_in(jx_forecaster).get("/api/v1/anomalies/").status_code == 200
    assert api(jx_forecaster).get("/api/v1/tokens/").status_code == 200


# --- refused tokens ---------------------------------------------------------------------------


def test_revoked_expired_unknown_and_malformed_tokens_are_refused_with_401(jx_forecaster):
    revoked, revoked_secret = make_token(jx_forecaster, ["catalog:read"])
    token_revoke(actor=actor_for(jx_forecaster), token=revoked)
    expired, expired_secret = make_token(jx_forecaster, ["catalog:read"])
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    cases = {
        revoked_secret: "revoked",
        expired_secret: "expired",
        "ispat_" + "x" * 43: "not valid",
        "": "does not hold a token",
    }
    for secret, words in cases.items():
        response = bearer(secret).get("/api/v1/events/")
        assert response.status_code == 401, secret
        assert words in response.json()["detail"]
        assert response["WWW-Authenticate"].startswith("Bearer")
    # a personal token sent with the word "Token" is read the same way
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {revoked_secret}")
    assert client.get("/api/v1/events/").status_code == 401


def test_a_deactivated_owners_token_is_refused(jx_forecaster):
    _token, secret = make_token(jx_forecaster, ["catalog:read"])
    type(jx_forecaster).objects.filter(pk=jx_forecaster.pk).update(is_active=False)
    assert bearer(secret).get("/api/v1/events/").status_code == 401


def test_a_revoked_role_is_gone_from_the_token_at_the_next_request(make_person, jx, jx_admin):
    # given a forecaster who is also a viewer, with a token to submit quick reports and read events
    person = make_person("jx_fc_viewer", (jx, "forecaster"), (jx, "viewer"))
    _token, secret = make_token(person, ["quick_reports:submit", "catalog:read"])
    client = bearer(secret)
    sms = (
        "【江西省地震局】江西省地震台网测定:2017年12月21日09时10分在江西宜春市上高县"
        "(北纬28.11度,东经115.01度)发生2.4级地震,震源深度5千米。"
    )
    body = {"text": sms, "received_at": "2017-12-21T09:15:00+08:00"}
    assert client.post("/api/v1/quick-reports/", body, format="json").status_code == 201
    # when the admin revokes the forecaster role
    from portal.services import membership_revoke

    admin = actor_for(jx_admin)
    membership_revoke(actor=admin, membership=Membership.objects.get(user=person, role="forecaster"))
    # then the token can no longer submit, but still reads as a viewer
    refused = client.post("/api/v1/quick-reports/", body, format="json")
    assert refused.status_code == 403
    assert "forecasters" in refused.json()["detail"]
    assert client.get("/api/v1/events/").status_code == 200
    # and once no role is left in the bureau, the token grants nothing
    membership_revoke(actor=admin, membership=Membership.objects.get(user=person, role="viewer"))
    gone = client.get("/api/v1/events/")
    assert gone.status_code == 403
    assert "no longer holds a role in JX" in gone.json()["detail"]


# --- tenancy ----------------------------------------------------------------------------------


def test_a_token_reads_what_its_owner_reads_in_its_bureau(jx, jx_forecaster, nm_forecaster):
    # given an unpublished event of JX
    draft = EventFactory(bureau=jx, is_published=False, public_id="jxdraft2026")
    _jx_token, jx_secret = make_token(jx_forecaster, ["catalog:read"])
    _nm_token, nm_secret = make_token(nm_forecaster, ["catalog:read"])
    # then JX's token reads it, NM's does not (404, as NM's session)
    assert bearer(jx_secret).get(f"/api/v1/events/{draft.public_id}/").status_code == 200
    assert bearer(nm_secret).get(f"/api/v1/events/{draft.public_id}/").status_code == 404
    assert signed_in(nm_forecaster).get(f"/api/v1/events/{draft.public_id}/").status_code == 404
    listed = bearer(nm_secret).get("/api/v1/events/").json()["results"]
    assert draft.public_id not in [e["id"] for e in listed]
    # and a token does not switch bureaus with X-Bureau
    switched = bearer(nm_secret, HTTP_X_BUREAU="JX").get("/api/v1/events/")
    assert switched.status_code == 403
    assert "acts for NM only" in switched.json()["detail"]


# --- rate -------------------------------------------------------------------------------------


def test_a_burst_past_the_tokens_rate_is_429_with_retry_after(jx_forecaster, monkeypatch):
    # given a token of 5 requests a minute, at a fixed moment
    now = [1_800_000_010.0]
    monkeypatch.setattr(PersonalTokenThrottle, "timer", lambda: now[0])
    _token, secret = make_token(jx_forecaster, ["catalog:read"], rate_limit=5)
    client = bearer(secret)
    # when it sends 6 requests at once
    statuses = [client.get("/api/v1/events/").status_code for _ in range(6)]
    # then the sixth is refused, saying how long to wait
    assert statuses == [200] * 5 + [429]
    refused = client.get("/api/v1/events/")
    assert refused.status_code == 429
    wait = int(refused["Retry-After"])
    assert 1 <= wait <= 120
    # and waiting that long is enough, less is not
    now[0] += wait - 1
    assert client.get("/api/v1/events/").status_code == 429
    now[0] += 1
    assert client.get("/api/v1/events/").status_code == 200


def test_each_token_has_its_own_rate_and_sessions_none(jx_forecaster, api, monkeypatch, settings):
    settings.PERSONAL_TOKEN_RATE_LIMIT = 2
    monkeypatch.setattr(PersonalTokenThrottle, "timer", lambda: 1_800_000_000.0)
    _a, first = make_token(jx_forecaster, ["catalog:read"])
    _b, second = make_token(jx_forecaster, ["catalog:read"])
    assert [bearer(first).get("/api/v1/events/").status_code for _ in range(3)] == [200, 200, 429]
    assert bearer(second).get("/api/v1/events/").status_code == 200
    assert [api(jx_forecaster).get("/api/v1/events/").status_code for _ in range(5)] == [200] * 5


@pytest.mark.parametrize(
    ("before", "count", "limit", "elapsed", "wait"),
    [
        # the last minute was full: at its start, 6 s until 10 % of it slid out
        (10, 0, 10, 0.0, 6.0),
        # this minute is full half-way through: to the next minute, then 10 % of this one
        (0, 10, 10, 30.0, 36.0),
        # 4 of 10 this minute, 10 the last, 15 s in: the last must weigh at most 5
        (10, 4, 10, 15.0, 15.0),
    ],
)
def test_the_sliding_windows_wait_is_the_time_until_one_more_request_fits(
    before, count, limit, elapsed, wait
):
    assert _wait(before, count, limit, elapsed, 60.0) == pytest.approx(wait)
    # one moment earlier it would not have fitted
    later_part = max(0.0, elapsed + wait - 60.0)
    if elapsed + wait < 60.0:
        assert before * (1 - (elapsed + wait) / 60) + count + 1 == pytest.approx(limit)
    else:
        assert count * (1 - later_part / 60) + 1 == pytest.approx(limit)


# --- log --------------------------------------------------------------------------------------


def test_every_request_made_with_a_token_is_logged_and_shown_to_its_owner(jx_forecaster, nm_forecaster):
    # given a token used for an allowed and a refused request, then revoked and tried again
    token, secret = make_token(jx_forecaster, ["catalog:read"])
    client = bearer(secret)
    client.get("/api/v1/events/?minmagnitude=3")
    client.get("/api/v1/anomalies/")
    token_revoke(actor=actor_for(jx_forecaster), token=token)
    client.get("/api/v1/events/")
    # then each one is a row: method, path, status
    rows = list(
        ApiTokenUse.objects.filter(token=token).order_by("id").values_list("method", "path", "status_code")
    )
    assert rows == [
        ("GET", "/api/v1/events/", 200),
        ("GET", "/api/v1/anomalies/", 403),
        ("GET", "/api/v1/events/", 401),
    ]
    token.refresh_from_db()
    assert token.last_used_at is not None
    # and the owner reads them, newest first; another person cannot
    uses = signed_in(jx_forecaster).get(f"/api/v1/tokens/{token.pk}/uses/").json()
    assert [u["status_code"] for u in uses["results"]] == [401, 403, 200]
    assert signed_in(nm_forecaster).get(f"/api/v1/tokens/{token.pk}/uses/").status_code == 404
    # sessions are not logged
    signed_in(jx_forecaster).get("/api/v1/events/")
    assert ApiTokenUse.objects.count() == 3


def test_the_log_of_a_burst_keeps_one_429_a_minute(jx_forecaster, monkeypatch):
    monkeypatch.setattr(PersonalTokenThrottle, "timer", lambda: 1_800_000_000.0)
    token, secret = make_token(jx_forecaster, ["catalog:read"], rate_limit=1)
    client = bearer(secret)
    for _ in range(20):
        client.get("/api/v1/events/")
    statuses = list(ApiTokenUse.objects.filter(token=token).values_list("status_code", flat=True))
    assert sorted(statuses) == [200, 429]


def test_the_log_is_pruned_by_age_and_rows_per_token(jx_forecaster, settings):
    settings.PERSONAL_TOKEN_LOG_DAYS = 10
    settings.PERSONAL_TOKEN_LOG_ROWS = 3
    token, _secret = make_token(jx_forecaster, ["catalog:read"])
    other, _secret2 = make_token(jx_forecaster, ["catalog:read"])
    now = timezone.now()
    for hours in (1, 2, 3, 4, 5):
        ApiTokenUse.objects.create(
            token=token, at=now - dt.timedelta(hours=hours), method="GET", path="/", status_code=200
        )
    ApiTokenUse.objects.create(
        token=other, at=now - dt.timedelta(days=11), method="GET", path="/", status_code=200
    )
    ApiTokenUse.objects.create(
        token=other, at=now - dt.timedelta(days=9), method="GET", path="/", status_code=200
    )
    assert token_uses_prune(now=now) == 3
    kept = ApiTokenUse.objects.filter(token=token).order_by("-at").values_list("at", flat=True)
    assert list(kept) == [now - dt.timedelta(hours=h) for h in (1, 2, 3)]
    assert ApiTokenUse.objects.filter(token=other).count() == 1


# --- the bureau admin ------------------------------------------------------------------------


def test_the_bureau_admin_lists_and_revokes_the_tokens_of_the_bureaus_people(
    jx_admin, jx_forecaster, nm_forecaster, nm_admin
):
    # given tokens of a JX forecaster and of an NM forecaster
    jx_token, jx_secret = make_token(jx_forecaster, ["catalog:read"])
    nm_token, _nm_secret = make_token(nm_forecaster, ["catalog:read"])
    admin = signed_in(jx_admin)
    # then JX's admin lists JX's tokens only
    listed = admin.get("/api/v1/tokens/?whose=bureau").json()["results"]
    assert [(t["id"], t["owner"]) for t in listed] == [(jx_token.pk, "jx_forecaster")]
    assert admin.get(f"/api/v1/tokens/{nm_token.pk}/").status_code == 404
    assert admin.post(f"/api/v1/tokens/{nm_token.pk}/revoke/").status_code == 404
    # a forecaster does not list the bureau's
    assert signed_in(jx_forecaster).get("/api/v1/tokens/?whose=bureau").status_code == 403
    assert signed_in(nm_admin).post(f"/api/v1/tokens/{jx_token.pk}/revoke/").status_code == 404
    # when JX's admin revokes the forecaster's token
    response = admin.post(f"/api/v1/tokens/{jx_token.pk}/revoke/", {"comment": "离职"}, format="json")
    # then it is revoked, audited, its owner told, and refused from now on
    assert response.status_code == 200
    assert (response.json()["standing"], response.json()["revoked_by"]) == ("revoked", "jx_admin")
    audit = AuditEvent.objects.get(action="token.revoke")
    assert (audit.actor, audit.comment, audit.target_id) == (jx_admin, "离职", str(jx_token.pk))
    assert Notification.objects.filter(recipient=jx_forecaster, url=f"/me/tokens/{jx_token.pk}/").exists()
    assert bearer(jx_secret).get("/api/v1/events/").status_code == 401
    # revoking again changes nothing
    again = admin.post(f"/api/v1/tokens/{jx_token.pk}/revoke/")
    assert again.status_code == 200
    assert AuditEvent.objects.filter(action="token.revoke").count() == 1
    assert ApiToken.objects.get(pk=nm_token.pk).revoked_at is None


def test_the_owner_revokes_their_own_token_without_being_told(jx_forecaster):
    token, _secret = make_token(jx_forecaster, ["catalog:read"])
    response = signed_in(jx_forecaster).post(f"/api/v1/tokens/{token.pk}/revoke/")
    assert response.status_code == 200
    assert not Notification.objects.filter(recipient=jx_forecaster).exists()


# --- the FDSN event service -------------------------------------------------------------------


def test_the_fdsn_service_reads_with_a_catalog_token(jx, jx_forecaster, monkeypatch):
    draft = EventFactory(bureau=jx, is_published=False, public_id="jxdraft2027")
    url = "/fdsnws/event/1/query?format=text&eventid=" + draft.public_id
    token, secret = make_token(jx_forecaster, ["catalog:read"], rate_limit=2)
    _other, other_secret = make_token(jx_forecaster, ["series:read"])
    monkeypatch.setattr(PersonalTokenThrottle, "timer", lambda: 1_800_000_000.0)
    # with the scope, the bureau's draft is read
    answer = bearer(secret).get(url)
    assert answer.status_code == 200
    assert draft.public_id in b"".join(answer.streaming_content).decode()
    # anonymous, not
    assert APIClient().get(url).status_code == 204
    # without the scope: 403, as an FDSN error document naming it
    refused = bearer(other_secret).get(url)
    assert refused.status_code == 403
    assert "catalog:read" in refused.content.decode()
    assert refused["Content-Type"].startswith("text/plain")
    # past the rate: 429 with Retry-After
    bearer(secret).get(url)
    throttled = bearer(secret).get(url)
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) >= 1
    # revoked: 401
    token_revoke(actor=actor_for(jx_forecaster), token=token)
    assert bearer(secret).get(url).status_code == 401
    assert list(
        ApiTokenUse.objects.filter(token=token).values_list("status_code", flat=True).order_by("id")
    ) == [
        200,
        200,
        429,
        401,
    ]


# --- the schema -------------------------------------------------------------------------------


def test_the_schema_documents_the_bearer_scheme_and_each_operations_scope(client):
    schema = client.get("/api/schema/?format=json").json()
    scheme = schema["components"]["securitySchemes"]["personalToken"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert "`quick_reports:submit`" in scheme["description"]
    events = schema["paths"]["/api/v1/events/"]["get"]
    assert events["x-token-scope"] == "catalog:read"
    assert {"personalToken": []} in events["security"]
    quick = schema["paths"]["/api/v1/quick-reports/"]
    assert (quick["get"]["x-token-scope"], quick["post"]["x-token-scope"]) == (
        "catalog:read",
        "quick_reports:submit",
    )
    tokens = schema["paths"]["/api/v1/tokens/"]["post"]
    assert "x-token-scope" not in tokens
    assert {"personalToken": []} not in tokens["security"]
    assert "/api/v1/tokens/{token_id}/revoke/" in schema["paths"]


def test_the_daily_beat_job_prunes_the_log(jx_forecaster, settings):
    from portal.celery import app
    from portal.tasks import token_uses_prune_task

    settings.PERSONAL_TOKEN_LOG_DAYS = 1
    token, _secret = make_token(jx_forecaster, ["catalog:read"])
    old = timezone.now() - dt.timedelta(days=2)
    ApiTokenUse.objects.create(token=token, at=old, method="GET", path="/", status_code=200)
    assert token_uses_prune_task.delay().get() == 1
    assert app.conf.beat_schedule["portal.token_uses_prune"]["task"] == "portal.token_uses_prune"


def test_every_scope_opens_some_operation_and_every_declared_scope_is_known():
    """No scope a person can tick that opens nothing; no operation naming a scope that does not exist."""
    from django.urls import URLPattern, URLResolver, get_resolver

    from portal.apis_base import TenantApi

    def views(resolver):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                yield from views(pattern)
            elif isinstance(pattern, URLPattern):
                cls = getattr(pattern.callback, "cls", None)
                if cls is not None and issubclass(cls, TenantApi):
                    yield cls

    used = set()
    for cls in views(get_resolver()):
        for method, scope in cls.token_scopes.items():
            assert method in {"GET", "POST", "PUT", "PATCH", "DELETE"}, (cls, method)
            assert hasattr(cls, method.lower()), (cls, method)
            used.add(scope)
    assert used == set(TokenScope.values)
