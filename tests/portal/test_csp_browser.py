"""In Debian's Chromium: the main pages work under the Content-Security-Policy and break none of it.

Chromium reports a blocked inline script, handler, eval or fetch both on the console ("… violates
the following Content Security Policy directive …") and as a ``securitypolicyviolation`` event;
the test listens for both, and for script errors, on every page.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Registered through the DevTools protocol, which the page's policy does not govern.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile + ":" + e.lineNumber);
});
"""


def _in_thread(func):
    """Services broadcast with async_to_sync, which cannot run beside Playwright's event loop."""
    from django.db import connection

    out = {}

    def run() -> None:
        try:
            out["value"] = func()
        finally:
            connection.close()

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    return out["value"]


def _events(bureau, n: int = 300):
    """Gutenberg-Richter magnitudes inside JX's test box (enough for a b-value run)."""
    import numpy as np

    from catalog.models import Event

    rng = np.random.default_rng(7)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(n):
        lat, lon = float(rng.uniform(26.0, 29.0)), float(rng.uniform(114.0, 117.0))
        rows.append(
            Event(
                bureau=bureau,
                public_id=f"csp-{i}",
                origin_time=start + timedelta(days=float(i)),
                latitude=lat,
                longitude=lon,
                location=Point(lon, lat, srid=4326),
                depth_km=10.0,
                magnitude=round(1.95 + float(rng.exponential(1 / np.log(10))), 1),
                magnitude_type="ML",
                status="reviewed",
                report_kind="catalog",
                is_published=True,
            )
        )
    return Event.objects.bulk_create(rows)


@pytest.fixture
def portal_data(jx, make_person, as_actor):
    """One person who sees it all, and a meeting, a product run and an anomaly with a place."""
    from catalog.models import Event
    from consultations.services import meetings as meeting_services
    from disciplines.models import ReportingUnit
    from disciplines.services.zero_reports import AnomalyInput, zero_report_submit
    from portal.models import Discipline
    from products.services import runs as run_services
    from reports.models import TopicReport

    person = make_person(
        "csp_all",
        (jx, "chair"),
        (jx, "forecaster"),
        (jx, "reporter"),
        (jx, "expert", "fluid"),
        display_name="全角色",
    )
    _events(jx)

    def build():
        actor = as_actor(person)
        meeting = meeting_services.meeting_create(
            actor=actor,
            kind="monthly",
            title="2026年12月月会商",
            starts_at=timezone.now() + timedelta(hours=1),
            joint_bureaus=[],
            participants=[],
        )
        meeting_services.meeting_open(actor=actor, meeting=meeting)
        run = run_services.run_create(
            actor=actor, method="bvalue", params={"mc": 2.0}, catalog={"jurisdiction": True}
        )
        unit = ReportingUnit.objects.create(
            bureau=jx,
            code="JX-FL-09",
            name="南昌井",
            kind="station",
            discipline=Discipline.objects.get(code="fluid"),
            location=Point(115.89, 28.68, srid=4326),
            observation_items=["水位"],
        )
        unit.reporters.add(person)
        report = zero_report_submit(
            actor=actor,
            unit=unit,
            period=timezone.localdate() - timedelta(days=1),
            status="anomaly",
            anomaly=AnomalyInput("水位", "水位突升 0.8 m", timezone.now() - timedelta(days=1, hours=2)),
        )
        return {"meeting": meeting, "run": run, "anomaly": report.anomaly}

    data = _in_thread(build)
    # a special-topic report still being built: its page polls until the report is ready
    data["topic"] = TopicReport.objects.create(
        bureau=jx,
        event=Event.objects.get(public_id="csp-10"),
        event_version=1,
        received_at=timezone.now(),
        status=TopicReport.Status.BUILDING,
    )
    return person, data


def test_main_pages_break_no_policy(browser_login, portal_data):
    person, data = portal_data
    meeting, run, anomaly = data["meeting"], data["run"], data["anomaly"]
    page = browser_login(person)
    page.context.add_init_script(RECORD_VIOLATIONS)
    problems: list[str] = []
    page.on(
        "console", lambda m: "Content Security Policy" in m.text and problems.append(f"{page.url}: {m.text}")
    )
    page.on("pageerror", lambda e: problems.append(f"{page.url}: script error {e}"))

    # (url, a sign that the page's own script ran)
    pages = [
        ("/", '#jurisdiction-map[data-map-ready="1"]'),
        ("/events/", '#event-map[data-live-ready="1"]'),
        ("/events/csp-10/", "#event-map[data-nearby-count]"),
        (f"/consultations/meetings/{meeting.pk}/", '#room[data-live="1"]'),
        (f"/consultations/meetings/{meeting.pk}/opinion/", '#draw-map[data-map-ready="1"]'),
        ("/products/", "#run-table"),
        (f"/products/runs/{run.pk}/", '#run-progress[data-status="succeeded"]'),
        ("/disciplines/anomalies/map/", '#anomaly-map[data-anomaly-count="1"]'),
        (f"/disciplines/anomalies/{anomaly.pk}/", '#anomaly-map[data-map-ready="1"]'),
        ("/disciplines/units/", '#unit-map[data-map-ready="1"]'),
        ("/api/docs/", ".swagger-ui .info .title"),
    ]
    for url, ready in pages:
        page.goto(url)
        try:
            page.wait_for_selector(ready, state="attached", timeout=10000)
            page.wait_for_load_state("networkidle")
        except PlaywrightTimeout:
            problems.append(f"{url}: the page's script did not run ({ready} never appeared)")
        problems += [f"{url}: {v}" for v in page.evaluate("window.__csp")]
    # the last page: Swagger UI drew the schema from its script file (no inline start-up, no eval)
    assert "ISPEC portal API" in page.locator(".swagger-ui .info .title").inner_text()
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()

    # a report still building asks the API until it is ready (the id comes in a data- attribute)
    with page.expect_request(f"**/api/v1/topic-reports/{data['topic'].pk}/"):
        page.goto(f"/reports/topic/{data['topic'].pk}/")
    problems += [f"topic report: {v}" for v in page.evaluate("window.__csp")]
    assert problems == []


def test_declared_behaviour_replaces_inline_handlers(browser_login, portal_data, as_actor):
    """<select data-autosubmit> submits its form; <form data-confirm> asks first (were onchange=/onsubmit=)."""
    from products.models import ProductSchedule
    from products.services import schedules as schedule_services

    person, _ = portal_data
    _in_thread(
        lambda: schedule_services.schedule_create(
            actor=as_actor(person),
            name="每日 b 值",
            method="bvalue",
            params={"mc": 2.0},
            catalog={"jurisdiction": True, "days": 365},
            minute="0",
            hour="6",
        )
    )
    page = browser_login(person)
    page.goto("/products/runs/")
    page.select_option("select[name=status]", "succeeded")
    page.wait_for_url("**/products/runs/?status=succeeded")

    page.goto("/products/schedules/new/")
    page.select_option("#id_method_pick", "omori")
    page.wait_for_url("**/products/schedules/new/?method=omori")

    page.goto("/products/schedules/")
    asked: list[str] = []

    def answer(dialog, accept: bool) -> None:
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda d: answer(d, False))
    page.click("form[data-confirm] button")
    page.wait_for_timeout(300)
    assert asked == ["删除此定时任务？其运行记录将保留。"]
    assert ProductSchedule.objects.count() == 1  # declined: nothing sent
    page.once("dialog", lambda d: answer(d, True))
    with page.expect_navigation():
        page.click("form[data-confirm] button")
    assert len(asked) == 2
    assert ProductSchedule.objects.count() == 0
