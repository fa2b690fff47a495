"""A NUL byte anywhere in a request is refused once, by portal.middleware.RefuseNulMiddleware.

PostgreSQL cannot store or compare text holding U+0000, so every filter, path id and
field that reached a query with one used to answer 500. Each URL below did.
"""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.django_db

# The 16 endpoints of issue 9 item 5 (4 of them anonymous), as a NUL-carrying request each.
API_URLS = [
    "/api/v1/events/?q=%00",
    "/api/v1/events/%00/",
    "/api/v1/topic-reports/?event=%00",
    "/api/v1/anomalies/?discipline=%00",
    "/api/v1/anomalies/?state=%00",
    "/api/v1/zero-reports/?discipline=%00",
    "/api/v1/reporting-units/?discipline=%00",
    "/api/v1/bureaus/%00/",
    "/api/v1/zero-reports/matrix/?discipline=%00",
    "/api/v1/products/?method=%00",
]
FDSN_URLS = [
    "/fdsnws/event/1/query?eventid=%00",
    "/fdsnws/event/1/query?contributor=%00",
]
PAGE_URLS = [
    "/events/?q=%00",
    "/disciplines/anomalies/?discipline=%00",
    "/disciplines/anomalies.geojson?discipline=%00",
    "/disciplines/anomalies/export/?discipline=%00",
]
ANONYMOUS_URLS = [API_URLS[0], API_URLS[1], *FDSN_URLS]


@pytest.fixture
def busy(make_person, jx):
    """Someone who reaches every filter above: bureau admin, forecaster and fluid expert of JX."""
    return make_person("busy", (jx, "bureau_admin"), (jx, "forecaster"), (jx, "expert", "fluid"))


def _says_nul(text: str) -> bool:
    return "NUL" in text


@pytest.mark.parametrize("url", API_URLS)
def test_api_refuses_nul_with_json(api, busy, url):
    response = api(busy).get(url)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert _says_nul(response.json()["detail"])


@pytest.mark.parametrize("url", ANONYMOUS_URLS)
def test_anonymous_callers_get_the_same_refusal(client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert _says_nul(response.content.decode())


@pytest.mark.parametrize("url", FDSN_URLS)
def test_fdsn_refuses_nul_with_its_plain_text_error(client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=us-ascii"
    text = response.content.decode("ascii")
    assert text.startswith("Error 400: Bad Request\n\n")
    assert _says_nul(text)
    assert "Service version:" in text


@pytest.mark.parametrize("url", PAGE_URLS)
def test_pages_refuse_nul_with_an_html_page(client, busy, url):
    client.force_login(busy)
    response = client.get(url)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert _says_nul(response.content.decode())


def test_raw_nul_in_the_query_string_is_refused_too(client):
    response = client.get("/api/v1/events/", QUERY_STRING="q=a\x00b")
    assert response.status_code == 400


def test_nul_in_a_json_body(api, busy):
    response = api(busy).post("/api/v1/quick-reports/", {"text": "中国地震台网正式测定\x00"}, format="json")
    assert response.status_code == 400
    assert _says_nul(response.json()["detail"])


def test_escaped_nul_in_a_json_body(api, busy):
    body = '{"text": "\\u0000"}'
    response = api(busy).generic("POST", "/api/v1/quick-reports/", body, content_type="application/json")
    assert response.status_code == 400
    assert _says_nul(response.json()["detail"])


def test_an_escaped_backslash_before_u0000_is_not_a_nul(api, busy):
    """``"\\\\u0000"`` is a backslash and the text u0000: harmless, so not refused here."""
    body = json.dumps({"text": "\\u0000"})
    assert "\\\\u0000" in body
    response = api(busy).generic("POST", "/api/v1/quick-reports/", body, content_type="application/json")
    # then: refused as an unreadable quick report, not as a NUL
    assert response.status_code == 400
    assert "NUL" not in response.json()["detail"]


def test_nul_in_a_form_post(client, busy):
    client.force_login(busy)
    response = client.post("/events/quick-report/", {"text": "abc\x00"})
    assert response.status_code == 400
    assert _says_nul(response.content.decode())


def test_percent_encoded_nul_in_an_urlencoded_body(api, busy):
    response = api(busy).generic(
        "POST",
        "/api/v1/quick-reports/",
        "text=abc%00",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400


def test_nul_in_a_multipart_text_field(api, busy):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("events.csv", b"bin\x00ary", content_type="text/csv")
    response = api(busy).post(
        "/api/v1/events/imports/", {"file": upload, "format": "csv\x00"}, format="multipart"
    )
    assert response.status_code == 400
    assert _says_nul(response.json()["detail"])


def test_nul_inside_an_uploaded_file_is_the_file_checks_business(api, busy):
    """Files are binary: a NUL in the file part is not refused by the middleware."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("events.csv", b"bin\x00ary", content_type="text/csv")
    response = api(busy).post("/api/v1/events/imports/", {"file": upload}, format="multipart")
    assert "NUL" not in response.content.decode()


def test_nul_in_a_header(api, busy):
    response = api(busy).get("/api/v1/anomalies/", HTTP_X_BUREAU="J\x00X")
    assert response.status_code == 400
    assert _says_nul(response.json()["detail"])


def test_ordinary_requests_pass(api, busy):
    assert api(busy).get("/api/v1/events/?q=%E6%B1%9F%E8%A5%BF").status_code == 200
    assert api(busy).get("/api/v1/anomalies/?discipline=fluid").status_code == 200


def test_django_own_400_is_json_under_the_api(client):
    """A 400 Django raises itself (here: a Host not allowed) reads like the API's other errors."""
    response = client.get("/api/v1/events/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response.json() == {"detail": "无法读取该请求。"}


@pytest.mark.parametrize("url", ANONYMOUS_URLS)
def test_the_running_server_refuses_nul_too(asgi_server, url):
    """Through daphne: the ASGI path and query string reach the middleware as they do in tests."""
    import requests

    response = requests.get(asgi_server + url, timeout=10)
    assert response.status_code == 400
    assert "NUL" in response.text
