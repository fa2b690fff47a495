"""Every page reachable by a link, as every demo role, over the demo data: no 5xx, no debug page.

Each role signs in through the login form (CSRF checks on) and follows every same-origin
``<a href>`` from the dashboard breadth-first, GET only, by URL shape (ids, numbers and
bureau codes in the path are one shape; a query string counts by its parameter names).
One shape is opened a few times, not once: what a detail page links to depends on the
object's state (only an anomaly being verified links its verifier to the verification
form), so one closed anomaly would hide the form. Every link of the dashboard is opened: it
lists the person's own work, the pages most likely to carry their forms. Files (PDF,
figures, exports) are opened once per shape. Every form page a link leads to is thereby
rendered unbound. Failures are collected and reported together, each with the page that
linked to it; so are the links that lead to a 403 or 404 (``refused``): a person is never
shown a link they may not follow.

The demo data is loaded once for the whole run, as ``make run`` loads it (``seed_demo``): the
``demo_data`` fixture of tests/conftest.py, shared with the Beijing-time crawl of
tests/portal/test_timefmt.py; the tests that read it run last, together.
"""

from __future__ import annotations

import os
import re
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
from django.db import transaction
from django.test import Client

# Links the crawl never follows: they end the session or switch the language.
SKIP_PREFIXES = ("/logout/", "/i18n/")
# Django's admin: its index and the pages it links to, no further (each changelist links
# every filter and every row).
ADMIN_PREFIX = "/admin/"
TRACE = bool(os.environ.get("CRAWL_TRACE"))  # print every page with its time: to find slow ones
DEBUG_PAGE_MARKERS = ("technical_500", "Traceback (most recent call last)")

UUID_RE = re.compile(r"^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$", re.I)
HEX_RE = re.compile(r"^[0-9a-f]{16,}$", re.I)
PUBLIC_ID_RE = re.compile(r"^(?=.*\d)[a-z0-9_-]{8,}$", re.I)  # event ids: ispec2025dj2ywhrnd5
CODE_RE = re.compile(r"^[A-Z]{2,6}$")  # bureau codes: JX, NM, CENC
DIGITS_RE = re.compile(r"\d+")
PAGES_PER_SHAPE = 3
FILES_PER_SHAPE = 1
FILE_SHAPE_RE = re.compile(r"(\.(pdf|png|svg|csv|xlsx|json|geojson|xml|txt)|/pdf/)$|[?&]format(&|$)")


def url_shape(url: str) -> str:
    """``/disciplines/anomalies/12/?page=2&q=x`` → ``/disciplines/anomalies/<n>/?page&q``."""
    parts = urlsplit(url)
    segments = []
    for segment in parts.path.split("/"):
        if UUID_RE.match(segment) or HEX_RE.match(segment) or PUBLIC_ID_RE.match(segment):
            segments.append("<id>")
        elif CODE_RE.match(segment):
            segments.append("<code>")
        else:
            segments.append(DIGITS_RE.sub("<n>", segment))
    names = sorted({name for name, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return "/".join(segments) + ("?" + "&".join(names) if names else "")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def same_origin_links(html: str, base: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    links = []
    for href in parser.hrefs:
        if href.startswith(("#", "mailto:", "tel:", "javascript:", "data:")):
            continue
        absolute = urlsplit(urljoin(f"http://testserver{base}", href))
        if absolute.scheme not in ("http", "https") or absolute.netloc != "testserver":
            continue
        links.append(absolute.path + (f"?{absolute.query}" if absolute.query else ""))
    return links


def _is_skipped(url: str) -> bool:
    return url.startswith(SKIP_PREFIXES)


def sign_in(username: str, password: str) -> Client:
    """Sign in through the login form, as a browser does: token from the page, CSRF enforced."""
    client = Client(enforce_csrf_checks=True)
    page = client.get("/login/")
    assert page.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token, "the login form carries no CSRF token"
    response = client.post(
        "/login/",
        {"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)},
    )
    assert response.status_code == 302, f"{username} could not sign in ({response.status_code})"
    assert response["Location"] == "/", response["Location"]
    return client


def switch_bureau(client: Client, code: str) -> None:
    """Use the bureau switcher of the dashboard (a form, CSRF checked)."""
    page = client.get("/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token
    response = client.post("/bureau/switch/", {"bureau": code, "csrfmiddlewaretoken": token.group(1)})
    assert response.status_code == 302


@dataclass
class CrawlResult:
    visited: dict[str, int] = field(default_factory=dict)  # url → status
    failures: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # links that lead to a 403 or 404 (probes not)
    seconds: float = 0.0


def _read(response) -> bytes:  # type: ignore[no-untyped-def]
    """The whole body, streamed ones included, as a browser reads it. The test client closes
    a stream once it is read; an abandoned one would keep its database cursor open until the
    garbage collector closes it in the middle of another query."""
    return b"".join(response.streaming_content) if response.streaming else response.content


def _html(response, content: bytes) -> str:  # type: ignore[no-untyped-def]
    if not response.get("Content-Type", "").startswith("text/html"):
        return ""
    return content.decode(response.charset or "utf-8", errors="replace")


MISSING = {"<n>": "987654321", "<id>": "zz0000000000", "<code>": "ZZZ"}


def missing_variants(url: str) -> list[str]:
    """``/a/12/b/7/`` → ``/a/987654321/b/7/`` and ``/a/12/b/987654321/``: each id made one
    that exists nowhere (and no query string: the link's own filters are not the point)."""
    path = urlsplit(url).path
    segments = path.split("/")
    variants = []
    for index, segment in enumerate(segments):
        shaped = url_shape(f"/{segment}")[1:]
        if shaped in MISSING:
            variants.append("/".join([*segments[:index], MISSING[shaped], *segments[index + 1 :]]))
    return variants


def probe_missing(client: Client, result: CrawlResult) -> None:
    """Every page of an object answers a missing object with a 4xx: never a 5xx."""
    probed: set[str] = set()
    for url in list(result.visited):
        for variant in missing_variants(url):
            if url_shape(variant) in probed:
                continue
            probed.add(url_shape(variant))
            try:
                with transaction.atomic():
                    status = client.get(variant).status_code
            except Exception as exc:  # noqa: BLE001 - the crawl reports any page's error and goes on
                result.failures.append(f"{variant} (a missing object; from {url}) raised {exc!r}")
                continue
            if status >= 500:
                result.failures.append(f"{variant} (a missing object; from {url}) answered {status}")


def _limit(shape: str) -> int:
    return FILES_PER_SHAPE if FILE_SHAPE_RE.search(shape) else PAGES_PER_SHAPE


def crawl(client: Client, start: str = "/", *, admin: bool = False) -> CrawlResult:
    """Breadth-first over same-origin links from ``start``, a few GETs per URL shape."""
    result = CrawlResult()
    began = time.monotonic()
    queue: deque[tuple[str, str]] = deque([(start, "(sign-in)")])
    opened: dict[str, int] = {}  # shape → pages opened
    seen: set[str] = set()
    while queue:
        url, referrer = queue.popleft()
        shape = url_shape(url)
        if url in seen or _is_skipped(url) or (url.startswith(ADMIN_PREFIX) and not admin):
            continue
        if opened.get(shape, 0) >= _limit(shape) and referrer != start:
            continue
        seen.add(url)
        opened[shape] = opened.get(shape, 0) + 1
        try:
            # A savepoint per page: a database error in one page must not poison the rest.
            with transaction.atomic():
                response = client.get(url)
                content = _read(response)  # errors while streaming are failures too
        except Exception as exc:  # noqa: BLE001 - the crawl reports any page's error and goes on
            where = "".join(traceback.format_exception(exc)[-3:]).strip()
            result.failures.append(f"{url} (linked from {referrer}) raised {exc!r}\n    {where}")
            result.visited[url] = 500
            continue
        result.visited[url] = response.status_code
        if TRACE:
            print(f"{time.monotonic() - began:7.2f} {response.status_code} {url}  ← {referrer}", flush=True)
        if response.status_code >= 500:
            result.failures.append(f"{url} (linked from {referrer}) answered {response.status_code}")
            continue
        if response.status_code in (403, 404):
            result.refused.append(f"{response.status_code} {url} (linked from {referrer})")
        if response.status_code in (301, 302, 303, 307, 308):
            target = same_origin_links(f'<a href="{response["Location"]}"></a>', url)
            queue.extend((t, f"{referrer} → {url} (redirect)") for t in target)
            continue
        body = _html(response, content)
        if any(marker in body for marker in DEBUG_PAGE_MARKERS):
            result.failures.append(f"{url} (linked from {referrer}) shows the debug page")
        if url.startswith(ADMIN_PREFIX) and url != ADMIN_PREFIX:
            continue  # the admin: one level below its index
        queue.extend((link, url) for link in same_origin_links(body, url))
    result.seconds = time.monotonic() - began
    return result


def _password() -> str:
    from portal.demo import demo_password

    return demo_password()


# (username, bureau to switch to or None, crawl the Django admin)
ROLES = [
    ("admin", None, True),
    ("jx_admin", None, False),
    ("jx_reporter", None, False),
    ("jx_expert_seis", None, False),
    ("jx_expert_deform", None, False),
    ("jx_expert_fluid", None, False),
    ("jx_expert_em", None, False),
    ("jx_forecaster", None, False),
    ("jx_chair", None, False),
    ("jx_approver", None, False),
    ("jx_reviewer", None, False),
    ("jx_viewer", None, False),
    ("jx_steward", None, False),
    ("nm_admin", None, False),
    ("cenc_forecaster", None, False),
    ("zone_forecaster", None, False),
    ("zone_forecaster", "NM", False),
]


OPENED: dict[str, set[str]] = {}  # role → shapes of the pages it opened with a 2xx


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "bureau", "admin"), ROLES, ids=[f"{u}@{b}" if b else u for u, b, _ in ROLES]
)
def test_every_linked_page_renders_for_every_role(demo_data, username, bureau, admin):
    # given
    client = sign_in(username, _password())
    if bureau:
        switch_bureau(client, bureau)
    # when
    result = crawl(client, admin=admin)
    probe_missing(client, result)
    # then
    print(
        f"\n{username}{'@' + bureau if bureau else ''}: {len(result.visited)} pages in {result.seconds:.1f} s"
    )
    for line in result.refused:
        print(f"  refused: {line}")
    assert result.visited["/"] == 200
    OPENED[f"{username}@{bureau}"] = {url_shape(u) for u, status in result.visited.items() if status < 300}
    assert not result.failures, f"{len(result.failures)} failing page(s):\n" + "\n".join(result.failures)
    # Nobody is shown a link they may not follow (the made-up ids of probe_missing are not links).
    assert not result.refused, f"{len(result.refused)} refused link(s):\n" + "\n".join(result.refused)


def test_missing_variants_replace_one_id_at_a_time():
    assert missing_variants("/consultations/meetings/4/opinion/?discipline=fluid") == [
        "/consultations/meetings/987654321/opinion/"
    ]
    assert missing_variants("/manage/bureaus/JX/") == ["/manage/bureaus/ZZZ/"]
    assert missing_variants("/events/") == []


def test_url_shape_folds_ids_codes_and_query_values():
    assert url_shape("/disciplines/anomalies/12/") == url_shape("/disciplines/anomalies/345/")
    assert url_shape("/manage/bureaus/JX/") == url_shape("/manage/bureaus/CENC/")
    assert url_shape("/events/?page=2&q=x") == url_shape("/events/?q=y&page=3")
    assert url_shape("/events/?page=2") != url_shape("/events/")
    assert url_shape("/reports/3f2a9c1e-5b7d-4c2a-9e1f-0a1b2c3d4e5f/") == "/reports/<id>/"
    assert url_shape("/events/ispec2025dj2ywhrnd5/") == url_shape("/events/ispec2024rqdc4jsqjw/")
    assert url_shape("/reports/topic/7/map/epicentre.png") == "/reports/topic/<n>/map/epicentre.png"


# Forms of the daily work, each of which some role reaches by links from its dashboard.
FORMS = [
    "/disciplines/anomalies/<n>/verification/",
    "/disciplines/anomalies/<n>/assessment/",
    "/disciplines/anomalies/new/",
    "/disciplines/report/",
    "/manage/people/new/",
    "/manage/bureaus/new/",
]


@pytest.mark.demo  # runs after the crawl, with the tests that read the demo data
def test_the_crawl_reached_the_forms_of_the_daily_work():
    """Guards the crawl itself: a form no role reached is a form it does not test."""
    if len(OPENED) < len(ROLES):
        pytest.skip("only some roles were crawled in this run")
    reached = set().union(*OPENED.values())
    assert [form for form in FORMS if form not in reached] == []
