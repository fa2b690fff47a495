"""Times are shown in Beijing time, with the date, in ISO order: the formatter, its filters, the
places the issue found in UTC (the chair's dashboard, a topic report's title, an issued report's
date, product parameters) and a small crawl of the demo pages and PDFs that finds no UTC time."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import time
from collections import deque

import pytest
from django.apps import apps
from django.db import models
from django.template import Context, Template
from django.utils import translation

from portal.models import ReportView
from portal.timefmt import beijing, format_date, format_time
from tests.test_architecture import _project_apps  # the apps that live in this repository
from tests.test_crawl import (  # the crawl's helpers (the demo data: tests/conftest.py)
    _html,
    _is_skipped,
    _password,
    _read,
    same_origin_links,
    sign_in,
    url_shape,
)

QUAKE = dt.datetime(2026, 11, 30, 18, 30, 12, tzinfo=dt.UTC)  # 2026-12-01 02:30:12 in Beijing


# --- the formatter and its filters -------------------------------------------------------


def test_an_instant_is_shown_in_beijing_time_with_its_beijing_date():
    assert format_time(QUAKE) == "2026-12-01 02:30"
    assert format_time(QUAKE, with_seconds=True) == "2026-12-01 02:30:12"
    assert format_time(QUAKE, style="short") == "12-01 02:30"
    assert format_date(QUAKE) == "2026-12-01"
    assert beijing(QUAKE).utcoffset() == dt.timedelta(hours=8)


def test_a_naive_time_is_taken_as_utc_and_a_date_or_time_of_day_is_shown_as_it_is():
    assert format_time(dt.datetime(2026, 11, 30, 23, 30)) == "2026-12-01 07:30"
    assert format_date(dt.date(2026, 12, 1)) == "2026-12-01"
    assert format_date(dt.date(2026, 12, 1), style="month") == "2026-12"
    assert format_time(dt.time(17, 0)) == "17:00"
    assert format_time(None) == ""
    assert format_date(None) == ""


@pytest.mark.parametrize(
    ("language", "label"),
    [("zh-hans", "2026-12-01 02:30（北京时间）"), ("en", "2026-12-01 02:30 (Beijing time)")],
)
def test_a_labelled_time_names_beijing_time_in_the_readers_language(language, label):
    with translation.override(language):
        assert format_time(QUAKE, label=True) == label


def test_the_filters_are_built_in_and_show_beijing_time_whatever_the_active_zone():
    from django.utils import timezone

    template = Template(
        '{{ t|bjt }}|{{ t|bjt:"seconds" }}|{{ t|bjt:"short" }}|{{ t|bjt:"clock" }}|{{ t|bjdate }}|{{ none|bjt }}'
    )
    with timezone.override(dt.UTC):  # the filters do not depend on the request's zone
        text = template.render(Context({"t": QUAKE, "none": None}))
    assert text == "2026-12-01 02:30|2026-12-01 02:30:12|12-01 02:30|02:30|2026-12-01|"


def test_no_template_formats_a_time_itself():
    from pathlib import Path

    offenders = [
        f"{path}:{n}"
        for path in sorted(Path("templates").rglob("*.html"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\|(date|time)(:|\b)", line)
    ]
    assert not offenders, "use |bjt or |bjdate (portal.timefmt):\n" + "\n".join(offenders)


# --- the places the issue found --------------------------------------------------------


def _event(bureau, origin_time, **extra):  # type: ignore[no-untyped-def]
    from django.contrib.gis.geos import Point

    from catalog.models import Event

    return Event.objects.create(
        bureau=bureau,
        public_id=extra.pop("public_id", "ispec2026tz000001"),
        origin_time=origin_time,
        latitude=28.7,
        longitude=115.8,
        location=Point(115.8, 28.7, srid=4326),
        depth_km=10,
        magnitude=4.1,
        magnitude_type="M",
        location_name="江西南昌",
        status="reviewed",
        report_kind="formal",
        **extra,
    )


@pytest.mark.django_db
def test_an_event_is_named_by_its_beijing_time(jx):
    event = _event(jx, QUAKE)
    assert str(event) == "2026-12-01 02:30:12 M4.1 江西南昌"


@pytest.mark.django_db
def test_the_chairs_dashboard_shows_a_meeting_at_2330_utc_as_0730_the_next_day(jx, jx_chair, as_actor):
    from consultations.models import Meeting
    from consultations.panels import meetings_to_chair

    starts = dt.datetime.now(dt.UTC).replace(hour=23, minute=30, second=0, microsecond=0) + dt.timedelta(
        days=2
    )
    Meeting.objects.create(bureau=jx, title="周会商", kind="weekly", starts_at=starts, chair=jx_chair)
    panel = meetings_to_chair(as_actor(jx_chair))
    assert panel is not None
    assert panel.items
    assert panel.items[0].meta == format_time(starts) == f"{(starts + dt.timedelta(hours=8)):%Y-%m-%d} 07:30"


@pytest.mark.django_db
def test_a_report_issued_on_12_01_beijing_is_listed_as_12_01(jx, jx_viewer, as_actor, monkeypatch):
    from consultations import panels

    issued = dt.datetime(2026, 11, 30, 16, 30, tzinfo=dt.UTC)  # 2026-12-01 00:30 in Beijing

    class Report:
        pk = 1
        title = "十二月会商报告"
        issued_at = issued

        class bureau:  # noqa: N801 - stands in for the attribute report.bureau
            code = "JX"

    class Reports(list):
        def __getitem__(self, item):  # type: ignore[no-untyped-def]
            return list.__getitem__(self, item)

    monkeypatch.setattr(panels.selectors, "reports_issued_latest", lambda actor: Reports([Report()]))
    monkeypatch.setattr(panels, "reverse", lambda *a, **k: "/x/")
    panel = panels.latest_issued_reports(as_actor(jx_viewer))
    assert panel is not None
    assert panel.items[0].meta == "2026-12-01"


def test_product_parameters_show_labels_in_the_readers_language_and_beijing_times():
    from products.forms import shown_rows

    with translation.override("zh-hans"):
        rows = shown_rows({"starttime": "2026-11-30T18:30:00", "mc": None, "estimator": "aki_utsu"})
    assert rows[0] == {"name": "starttime", "label": "起始时间", "value": "2026-12-01 02:30"}
    assert rows[1]["value"] == "—"
    assert rows[1]["label"] != "mc"
    assert rows[2]["label"] != "estimator"


# --- a crawl of the demo pages and PDFs: no UTC time -------------------------------------

ROLES = ["jx_chair", "jx_approver", "jx_expert_seis", "jx_forecaster", "jx_admin"]
# "2026-12-01 07:30" or "12-01 07:30", not inside a longer number or ISO "T" form
SHOWN_TIME = re.compile(r"(?<![\d-])((?:\d{4}-)?\d{2}-\d{2} \d{2}:\d{2})(?!\d)")
SCRIPT = re.compile(r"<script\b.*?</script>", re.S)
MAX_PAGES = 70  # per role: one page per URL shape, enough to reach the lists, details and PDFs
UTC_ROW = re.compile(r"<tr>\s*<th[^>]*>[^<]*UTC[^<]*</th>\s*<td[^>]*>[^<]*</td>\s*</tr>")  # labelled "(UTC)"


def _demo_times() -> list[dt.datetime]:
    """Every instant stored by the portal's own apps (origin times, meetings, stamps, a data
    request's deadline): each app at the repository's top level, not a list that a new app
    escapes. With the sharing app left out, a deadline at Beijing midnight, rightly shown as
    "2026-12-01 00:00", was taken for the UTC rendering of another instant, 08:00 that day."""
    own = _project_apps()
    moments: set[dt.datetime] = set()
    for model in apps.get_models():
        if model._meta.app_config.name not in own:
            continue
        if model is ReportView:  # ~80,000 demo readings, one a minute or so: as suspects they
            continue  # would make every UTC text one (their Beijing texts are allowed below)
        for f in model._meta.get_fields():
            if isinstance(f, models.DateTimeField) and not f.many_to_many and f.concrete:
                moments.update(v for v in model._default_manager.values_list(f.name, flat=True) if v)
    return sorted(moments)


def _pdf_text(content: bytes) -> str:
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True)
    return out.stdout.decode()


def _small_crawl(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """url → text of each HTML page and PDF, one page per URL shape, breadth first."""
    texts: dict[str, str] = {}
    queue, seen, shapes = deque(["/"]), set(), set()
    while queue and len(texts) < MAX_PAGES:
        url = queue.popleft()
        shape = url_shape(url)
        if url in seen or shape in shapes or _is_skipped(url) or url.startswith("/admin/"):
            continue
        seen.add(url)
        shapes.add(shape)
        response = client.get(url)
        content = _read(response)
        if response.status_code != 200:
            continue
        if response.get("Content-Type", "").startswith("application/pdf"):
            texts[url] = "\n".join(line for line in _pdf_text(content).splitlines() if "UTC" not in line)
            continue
        html = _html(response, content)
        # what a reader sees: JSON for scripts is data (the map's event carries both clocks)
        texts[url] = UTC_ROW.sub("", SCRIPT.sub("", html))
        queue.extend(same_origin_links(html, url))
    return texts


@pytest.mark.django_db
def test_the_demo_pages_and_pdfs_show_no_utc_time(demo_data):
    # given: every stored instant, as UTC would show it and as Beijing time shows it
    moments = _demo_times()
    shown_bj = {format_time(m) for m in moments} | {format_time(m, style="short") for m in moments}
    # the readers' tables show when each reading was: Beijing texts, never suspects themselves
    readings = list(ReportView.objects.values_list("viewed_at", flat=True))
    shown_bj |= {format_time(m) for m in readings} | {format_time(m, style="short") for m in readings}
    utc = {f"{m.astimezone(dt.UTC):%Y-%m-%d %H:%M}": m for m in moments}
    utc.update({f"{m.astimezone(dt.UTC):%m-%d %H:%M}": m for m in moments})
    # a UTC rendering that is also some other instant's Beijing rendering proves nothing
    suspects = {text: m for text, m in utc.items() if text not in shown_bj}
    began = time.monotonic()
    # when
    pages: dict[str, str] = {}
    for username in ROLES:
        client = sign_in(username, _password())
        pages.update({f"{username} {url}": text for url, text in _small_crawl(client).items()})
    # then: every "date hh:mm" on a page, looked up among the UTC renderings
    found = [
        f"{where}: {text} (UTC of {format_time(suspects[text])})"
        for where, body in pages.items()
        for text in set(SHOWN_TIME.findall(body))
        if text in suspects
    ]
    assert not found, "times shown in UTC:\n" + "\n".join(found[:40])
    on_pages = {text for body in pages.values() for text in SHOWN_TIME.findall(body)}
    shown = {format_time(m) for m in moments} & on_pages
    assert len(shown) >= 10, f"too few Beijing times found to trust the crawl: {shown}"
    pdfs = [where for where in pages if where.split(" ", 1)[1].endswith(("pdf/", ".pdf")) or "/pdf" in where]
    print(f"\n{len(pages)} pages and PDFs ({len(pdfs)} PDFs) in {time.monotonic() - began:.1f} s")
    assert pdfs, "the crawl reached no PDF"
