"""Content-Security-Policy: every response carries it, it admits no inline script, and no page
of ours needs inline script (templates and rendered pages are scanned for it)."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings

from portal.csp import tile_source

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1:8000"


class InlineScriptFinder(HTMLParser):
    """Collects what a policy without 'unsafe-inline' would block: <script> elements with a body
    (JSON data blocks excepted), on*= event-handler attributes and javascript: URLs."""

    URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._script: tuple[int, str] | None = None
        self._body = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"line {line}: <{tag} {name}=…>")
            elif name in self.URL_ATTRIBUTES and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"line {line}: <{tag} {name}={value!r}>")
        if tag == "script":
            self._script = (line, (dict(attrs).get("type") or "").strip().lower())
            self._body = ""

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._body += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            line, kind = self._script
            if self._body.strip() and kind != "application/json":
                self.found.append(f"line {line}: inline <script>: {self._body.strip()[:60]!r}")
            self._script = None


def inline_script(html: str) -> list[str]:
    finder = InlineScriptFinder()
    finder.feed(html)
    finder.close()
    return finder.found


def directives(header: str) -> dict[str, list[str]]:
    policy: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *sources = part.split()
        policy[name] = sources
    return policy


def assert_strict_policy(response, what: str) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy")
    assert header, f"{what}: no Content-Security-Policy header"
    policy = directives(header)
    assert policy["script-src"] == ["'self'"], f"{what}: {header}"
    assert policy["default-src"] == ["'self'"], f"{what}: {header}"
    assert policy["object-src"] == ["'none'"], f"{what}: {header}"
    assert policy["frame-ancestors"] == ["'none'"], f"{what}: {header}"
    assert policy["base-uri"] == ["'self'"], f"{what}: {header}"
    assert policy["form-action"] == ["'self'"], f"{what}: {header}"
    # nothing that would loosen script-src again
    assert not {"script-src-elem", "script-src-attr"} & policy.keys(), f"{what}: {header}"
    assert "'unsafe-eval'" not in header, f"{what}: {header}"
    return policy


# --- templates ------------------------------------------------------------------------


TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))


def test_the_scanner_finds_what_the_policy_blocks():
    html = (
        '<script>alert(1)</script><script type="application/json" id="d">{"a": 1}</script>'
        '<script src="/static/x.js"></script><select onchange="go()"></select>'
        '<a href=" JavaScript:alert(1)">x</a><form><button formaction="javascript:x()">y</button></form>'
    )
    found = inline_script(html)
    assert len(found) == 4, found
    assert "inline <script>" in found[0]
    assert "onchange" in found[1]


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT / "templates")))
def test_templates_hold_no_inline_script(path: Path):
    """Page code lives in static/<app>/*.js; data reaches it through json_script or data- attributes."""
    assert inline_script(path.read_text()) == []


# --- responses ------------------------------------------------------------------------


@pytest.fixture
def signed_in(jx_chair):
    client = Client(HTTP_HOST=HOST)
    client.force_login(jx_chair)
    return client


PAGES = [
    "/",
    "/events/",
    "/consultations/",
    "/products/",
    "/disciplines/anomalies/map/",
    "/notifications/",
    "/api/docs/",
    "/no-such-page/",  # the portal's 404 page
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", PAGES)
def test_pages_send_a_policy_without_inline_script(signed_in, url):
    response = signed_in.get(url)
    assert response.status_code == (404 if url == "/no-such-page/" else 200), url
    policy = assert_strict_policy(response, url)
    # websockets of the same host are named: 'self' does not match ws: in every browser
    assert policy["connect-src"] == ["'self'", f"ws://{HOST}", f"wss://{HOST}"]
    assert policy["img-src"] == ["'self'", "data:", "blob:"]
    assert inline_script(response.content.decode()) == [], url


@pytest.mark.django_db
def test_swagger_ui_starts_from_a_script_file(signed_in):
    """drf-spectacular's start-up code is served from /api/docs/?script, not inline."""
    page = signed_in.get("/api/docs/").content.decode()
    assert '<script src="/api/docs/?script="></script>' in page
    script = signed_in.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in script.content.decode()


@pytest.mark.django_db
def test_anonymous_pages_refusals_and_json_carry_the_policy(jx_viewer):
    client = Client(HTTP_HOST=HOST)
    for url, status in [("/login/", 200), ("/", 302), ("/api/v1/me/", 401)]:
        response = client.get(url)
        assert response.status_code == status, url
        assert_strict_policy(response, url)
    client.force_login(jx_viewer)
    for url, status in [("/api/v1/no-such-endpoint/", 404), ("/manage/bureaus/", 403)]:
        response = client.get(url)
        assert response.status_code == status, url
        assert_strict_policy(response, url)


def test_a_foreign_host_gets_the_fixed_policy():
    response = Client(HTTP_HOST="evil.example").get("/login/")
    assert response.status_code == 400
    policy = assert_strict_policy(response, "400 for a foreign Host")
    assert policy["connect-src"] == ["'self'"]


@pytest.mark.django_db
def test_secure_requests_name_only_wss(signed_in):
    policy = directives(signed_in.get("/", secure=True)["Content-Security-Policy"])
    assert policy["connect-src"] == ["'self'", f"wss://{HOST}"]


@pytest.mark.django_db
def test_django_admin_bureau_page_runs_no_inline_script(sysadmin, jx):
    """GeoDjango's map widget would run an inline script and fetch OpenLayers from a CDN."""
    client = Client(HTTP_HOST=HOST)
    client.force_login(sysadmin)
    response = client.get(f"/admin/portal/bureau/{jx.pk}/change/")
    assert response.status_code == 200
    assert_strict_policy(response, "admin")
    html = response.content.decode()
    assert inline_script(html) == []
    assert "cdn.jsdelivr.net" not in html
    assert "MULTIPOLYGON" in html  # the jurisdiction is there, as text


@pytest.mark.django_db
@override_settings(MAP_TILE_URL="https://{s}.tile.example.org/{z}/{x}/{y}.png")
def test_configured_map_tiles_are_admitted_as_images(signed_in):
    policy = directives(signed_in.get("/")["Content-Security-Policy"])
    assert policy["img-src"] == ["'self'", "data:", "blob:", "https://*.tile.example.org"]
    assert policy["script-src"] == ["'self'"]


@pytest.mark.parametrize(
    ("url", "source"),
    [
        ("", None),
        ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"),
        ("http://tiles.local:8080/{z}/{x}/{y}.png", "http://tiles.local:8080"),
        ("https://a.example.org/{z}/{x}/{y}.png?key=1", "https://a.example.org"),
    ],
)
def test_tile_source(url, source):
    assert tile_source(url) == source


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "//x.org/{z}.png", "https://t{s}.example.{tld}/a.png"]
)
def test_tile_source_refuses_what_csp_cannot_say(url):
    with pytest.raises(ImproperlyConfigured):
        tile_source(url)
