"""The portal's own 403, 404 and 500 pages, in Chinese and English, with DEBUG off."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import path

from portal import urls as portal_urls

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.portal.test_error_pages")]


def _forbidden(request):
    raise PermissionDenied


def _broken(request):
    raise RuntimeError("a bug in a page")


urlpatterns = [
    path("test-errors/forbidden/", _forbidden),
    path("test-errors/broken/", _broken),
    *portal_urls.urlpatterns,
]
handler403 = portal_urls.handler403
handler404 = portal_urls.handler404
handler500 = portal_urls.handler500

DEBUG_PAGE = ("Traceback", "technical_500", "technical_404", "DEBUG = True", "SECRET_KEY")


def _assert_portal_page(response, status: int, text: str) -> str:
    body = response.content.decode()
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    assert f'id="error-page" data-status="{status}"' in body
    assert f'<h1 class="h4">{text}</h1>' in body
    assert not [marker for marker in DEBUG_PAGE if marker in body]
    return body


@pytest.fixture(autouse=True)
def _debug_off(settings):
    settings.DEBUG = False


@pytest.mark.parametrize(
    ("language", "text"), [("zh-hans", "页面不存在"), ("en", "Page not found")], ids=["zh", "en"]
)
def test_unknown_page_is_the_portals_404(client, jx_viewer, language, text):
    client.force_login(jx_viewer)
    response = client.get("/no-such-page/", headers={"accept-language": language})
    body = _assert_portal_page(response, 404, text)
    assert 'id="current-bureau"' in body  # the base layout, with the person's bureau


def test_404_for_an_anonymous_visitor(client):
    _assert_portal_page(client.get("/no-such-page/"), 404, "页面不存在")


@pytest.mark.parametrize(
    ("language", "text"), [("zh-hans", "无权访问"), ("en", "Access denied")], ids=["zh", "en"]
)
def test_a_refused_page_is_the_portals_403(client, jx_viewer, language, text):
    client.force_login(jx_viewer)
    response = client.get("/test-errors/forbidden/", headers={"accept-language": language})
    _assert_portal_page(response, 403, text)


@pytest.mark.parametrize(
    ("language", "text"), [("zh-hans", "表单已过期"), ("en", "The form has expired")], ids=["zh", "en"]
)
def test_a_form_without_its_csrf_token_is_the_portals_403(language, text):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/login/", {"username": "x", "password": "y"}, headers={"accept-language": language}
    )
    _assert_portal_page(response, 403, text)


@pytest.mark.parametrize(
    ("language", "text"), [("zh-hans", "服务器错误"), ("en", "Server error")], ids=["zh", "en"]
)
def test_a_bug_is_the_portals_500_without_touching_the_database(
    client, django_assert_num_queries, language, text
):
    client.raise_request_exception = False
    with django_assert_num_queries(0):
        response = client.get("/test-errors/broken/", headers={"accept-language": language})
    body = _assert_portal_page(response, 500, text)
    assert "a bug in a page" not in body
    assert 'href="/static/vendor/bootstrap/bootstrap.min.css"' in body
