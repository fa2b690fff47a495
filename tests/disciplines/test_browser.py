"""In Debian's Chromium: a reporter on a phone submits an anomaly with a photo; the fluid
expert, in a second browser, sees it appear in the anomaly list live; the matrix updates live."""

from __future__ import annotations

import io
import re
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from disciplines.models import Anomaly

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(buffer, format="PNG")
    return buffer.getvalue()


def test_reporter_on_a_phone_reports_an_anomaly_and_the_expert_sees_it_live(
    browser_login, jx_reporter, jx_expert, jx_fluid_unit
):
    expert = browser_login(jx_expert)
    expert.goto("/disciplines/anomalies/")
    expert.wait_for_selector("body[data-disciplines-live='1']")
    assert expert.locator("#anomaly-rows tr[data-anomaly]").count() == 0

    phone = browser_login(jx_reporter, phone=True)
    phone.goto("/disciplines/report/")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert not phone.locator("#anomaly-fields").is_visible()
    phone.check("input[name=status][value=anomaly]")
    assert phone.locator("#anomaly-fields").is_visible()
    phone.fill("#id_period", (timezone.localdate() - timedelta(days=1)).isoformat())
    phone.fill("#id_observation_item", "水位")
    phone.fill("#id_description", "井水翻花冒泡，水位上升约半米")
    phone.fill("#id_onset_at", (timezone.localtime() - timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M"))
    phone.set_input_files(
        "#id_attachments", files=[{"name": "well.png", "mimeType": "image/png", "buffer": _png()}]
    )
    phone.click("#report-submit")
    phone.wait_for_url(re.compile(r".*/disciplines/anomalies/\d+/$"))  # lands on what was reported
    phone.wait_for_selector(".alert-success")
    assert "南昌井" in phone.locator("main").inner_text()

    row = expert.wait_for_selector("#anomaly-rows tr[data-live='1']")
    assert "南昌井 · 水位" in row.inner_text()
    expert.wait_for_selector(".toast:has-text('New anomaly to verify'), .toast:has-text('新异常')")
    anomaly = Anomaly.objects.get()
    assert anomaly.attachments.get().name == "well.png"
    expert.click("#anomaly-rows tr[data-live='1'] a")
    expert.wait_for_selector("#history")
    assert expert.locator("#evidence img").count() == 1
    assert expert.locator("#assign-form").is_visible()


def test_matrix_cell_turns_green_when_a_report_arrives(
    browser_login, api, jx_reporter, jx_expert, jx_fluid_unit
):
    page = browser_login(jx_expert)
    page.goto("/disciplines/matrix/")
    page.wait_for_selector("body[data-disciplines-live='1']")
    today = timezone.localdate().isoformat()
    head = page.locator(f'#zero-matrix thead th[data-day="{today}"]')
    assert head.count() == 1
    # Playwright's loop owns this thread; the in-process API call (and its broadcast) runs in another
    statuses = []

    def submit():
        response = api(jx_reporter).post(
            "/api/v1/zero-reports/",
            {"unit": jx_fluid_unit.pk, "period": today, "status": "none"},
            format="json",
        )
        statuses.append(response.status_code)
        connection.close()

    worker = threading.Thread(target=submit)
    worker.start()
    worker.join(30)
    assert statuses == [201]
    cell = page.wait_for_selector(f'#zero-matrix tr[data-unit="{jx_fluid_unit.pk}"] td[data-live="1"]')
    assert "z-o" in cell.get_attribute("class")


def test_expert_dashboard_count_follows_new_anomalies(
    browser_login, api, jx_reporter, jx_expert, jx_fluid_unit
):
    page = browser_login(jx_expert)
    page.wait_for_selector("body[data-disciplines-live='1']")
    badge = page.locator('[data-panel-count="disciplines-anomalies"]')
    assert badge.inner_text() == "0"
    statuses = []

    def submit():
        response = api(jx_reporter).post(
            "/api/v1/zero-reports/",
            {
                "unit": jx_fluid_unit.pk,
                "period": timezone.localdate().isoformat(),
                "status": "anomaly",
                "anomaly": {
                    "observation_item": "氡",
                    "description": "水氡升高",
                    "onset_at": timezone.now().isoformat(),
                },
            },
            format="json",
        )
        statuses.append((response.status_code, response.json()))
        connection.close()

    worker = threading.Thread(target=submit)
    worker.start()
    worker.join(30)
    assert [s for s, _body in statuses] == [201], statuses
    # expect(), not wait_for_function(): a string predicate is eval'd in the page, which the CSP forbids
    expect(page.locator('[data-panel-count="disciplines-anomalies"]')).to_have_text("1")
