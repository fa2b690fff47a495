"""The special-topic report on a phone (390 px) in Debian's Chromium: map drawn, no sideways scroll."""

from __future__ import annotations

import pytest

from reports.models import TopicReport

from .test_topic_reports import record

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_report_page_on_a_phone_shows_the_map_and_fits(browser_login, jx, jx_forecaster, jx_towns, tmp_path):
    # given: a ready report (eager build after the commit)
    record(jx)
    report = TopicReport.objects.get()
    assert report.status == "ready"
    # when
    page = browser_login(jx_forecaster, phone=True)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(report.get_absolute_url())
    page.wait_for_selector('#topic-map[data-map-ready="1"]')
    # then
    markers = page.locator("#topic-map .leaflet-interactive").count()
    assert markers > 20  # towns, circles
    assert page.locator("#topic-map .topic-epicentre").count() == 1
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    assert page.locator("#push-status [data-channel='websocket']").get_attribute("data-push-status") == "sent"
    assert "敖阳镇" in page.locator("#towns").inner_text()
    page.screenshot(path=str(tmp_path / "topic-report-phone.png"), full_page=False)
    assert errors == []
    response = page.request.get(f"/reports/topic/{report.pk}/pdf/")
    assert response.headers["content-type"] == "application/pdf"
