"""The pages of personal API tokens: mine (make, secret shown once, log, revoke) and the
bureau admin's list; in Chinese by default."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from portal.models import ApiToken, ApiTokenUse
from portal.tenancy import actor_for
from portal.timefmt import today
from portal.token_services import token_create

pytestmark = pytest.mark.django_db


def form(**fields):
    data = {
        "name": "台站上传",
        "bureau": "JX",
        "scopes": ["series:read", "catalog:read"],
        "expires": (today() + dt.timedelta(days=30)).isoformat(),
        "rate_limit": "",
    }
    data.update(fields)
    return data


def test_a_token_made_on_the_page_shows_its_secret_once(client, jx_forecaster):
    # given a forecaster on their tokens page
    client.force_login(jx_forecaster)
    page = client.get("/me/tokens/")
    assert page.status_code == 200
    assert "我的 API 令牌" in page.content.decode()
    assert 'id="token-form"' in page.content.decode()
    # when they make a token
    made = client.post("/me/tokens/", form())
    # then the page shows the secret, and is not kept by the browser
    assert made.status_code == 200
    token = ApiToken.objects.get()
    body = made.content.decode()
    secret = body.split('id="token-secret" value="', 1)[1].split('"', 1)[0]
    assert secret.startswith(token.hint)
    assert made["Cache-Control"] == "no-store"
    assert 'data-copy="token-secret"' in body
    # and it expires at the end of the chosen Beijing day
    assert token.expires_at == dt.datetime.combine(
        today() + dt.timedelta(days=30), dt.time(23, 59, 59), tzinfo=dt.timezone(dt.timedelta(hours=8))
    )
    # and the list shows the token, never the secret again
    listed = client.get("/me/tokens/").content.decode()
    assert "台站上传" in listed
    assert secret not in listed
    assert secret not in client.get(f"/me/tokens/{token.pk}/").content.decode()


def test_bad_input_on_the_page_is_shown_under_its_field(client, jx_forecaster):
    client.force_login(jx_forecaster)
    past = client.post("/me/tokens/", form(expires=(today() - dt.timedelta(days=1)).isoformat()))
    assert past.status_code == 400
    assert "有效期须晚于当前时间" in past.content.decode()
    none = client.post("/me/tokens/", form(scopes=[]))
    assert none.status_code == 400
    unknown = client.post("/me/tokens/", form(scopes=["catalog:write"]))
    assert unknown.status_code == 400
    assert not ApiToken.objects.exists()


def test_the_tokens_page_lists_its_log_and_revokes_it(client, jx_forecaster):
    token, _secret = token_create(
        actor=actor_for(jx_forecaster),
        name="数据脚本",
        scopes=["catalog:read"],
        expires=timezone.now() + dt.timedelta(days=5),
    )
    ApiTokenUse.objects.create(
        token=token,
        at=timezone.now(),
        method="GET",
        path="/api/v1/events/",
        status_code=200,
        address="10.0.0.8",
    )
    client.force_login(jx_forecaster)
    detail = client.get(f"/me/tokens/{token.pk}/").content.decode()
    assert "GET /api/v1/events/" in detail
    assert "10.0.0.8" in detail
    assert 'id="revoke-token"' in detail
    revoked = client.post(f"/me/tokens/{token.pk}/revoke/")
    assert revoked.status_code == 302
    assert revoked["Location"] == f"/me/tokens/{token.pk}/"
    token.refresh_from_db()
    assert token.revoked_by == jx_forecaster
    assert 'id="revoke-token"' not in client.get(f"/me/tokens/{token.pk}/").content.decode()
    assert client.get(f"/me/tokens/{token.pk}/revoke/").status_code == 405


def test_the_bureau_admin_page_lists_and_revokes_the_bureaus_tokens(
    client, jx_admin, jx_forecaster, nm_forecaster
):
    mine, _s1 = token_create(
        actor=actor_for(jx_forecaster),
        name="江西脚本",
        scopes=["catalog:read"],
        expires=timezone.now() + dt.timedelta(days=5),
    )
    other, _s2 = token_create(
        actor=actor_for(nm_forecaster),
        name="内蒙脚本",
        scopes=["catalog:read"],
        expires=timezone.now() + dt.timedelta(days=5),
    )
    client.force_login(jx_admin)
    listed = client.get("/manage/tokens/").content.decode()
    assert "江西脚本" in listed
    assert "内蒙脚本" not in listed
    assert 'id="nav-bureau-tokens"' in client.get("/").content.decode()
    assert client.get(f"/me/tokens/{other.pk}/").status_code == 404
    back = client.post(f"/me/tokens/{mine.pk}/revoke/", {"next": "/manage/tokens/"})
    assert back["Location"] == "/manage/tokens/"
    assert ApiToken.objects.get(pk=mine.pk).revoked_by == jx_admin
    assert client.post(f"/me/tokens/{other.pk}/revoke/").status_code == 404
    outside = client.post(f"/me/tokens/{mine.pk}/revoke/", {"next": "https://example.org/"})
    assert outside["Location"] == f"/me/tokens/{mine.pk}/"


def test_people_who_are_not_admins_do_not_see_the_bureaus_tokens(client, jx_forecaster):
    client.force_login(jx_forecaster)
    assert client.get("/manage/tokens/").status_code == 403
    assert 'id="nav-bureau-tokens"' not in client.get("/").content.decode()
    assert 'id="my-tokens-link"' in client.get("/me/settings/").content.decode()


def test_a_system_admin_is_offered_no_form(client, sysadmin, jx):
    client.force_login(sysadmin)
    page = client.get("/me/tokens/").content.decode()
    assert 'id="token-form"' not in page
    assert 'id="no-tokens-for-admins"' in page
    assert client.post("/me/tokens/", form()).status_code == 403
    assert not ApiToken.objects.exists()


def test_the_pages_read_in_english_too(client, jx_admin):
    client.force_login(jx_admin)
    mine = client.get("/me/tokens/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "My API tokens" in mine
    assert "Read the earthquake catalog" in mine
    assert (
        "API tokens of the bureau"
        in client.get("/manage/tokens/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
