"""In Debian's Chromium, on a phone: the admin's chart fits the screen with its day labels,
and a report's readers open from their "已读 n/m" line."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from portal.models import ReportView
from tests.factories import ConsultationReportFactory, MeetingFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_chart_and_readers_on_a_phone(browser_login, jx, jx_admin, jx_forecaster, tmp_path):
    report = ConsultationReportFactory(meeting=MeetingFactory(bureau=jx, title="2026年11月月会商"))
    now = timezone.now()
    ReportView.objects.bulk_create(
        ReportView(
            user=jx_forecaster,
            bureau=jx,
            report_kind="consultation_report",
            report_id=report.pk,
            channel="phone",
            # within 88 days and 6 hours: inside the 90 Beijing days of the chart at any hour
            viewed_at=now - dt.timedelta(days=d % 88, hours=d % 7),
        )
        for d in range(300)
    )
    page = browser_login(jx_admin, phone=True)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    page.goto("/")
    chart = page.locator('[data-panel="readership"] svg')
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box["width"] <= 390
    assert box["x"] >= 0
    assert page.locator('[data-panel="readership"] figcaption').inner_text().count("300") == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)

    page.goto(f"/consultations/reports/{report.pk}/")
    readers = page.locator(".report-readers")
    expect(readers.locator("summary")).to_contain_text("已读 2/2")  # the forecaster, and the admin now
    expect(readers.locator("table")).not_to_be_visible()
    readers.locator("summary").click()
    expect(readers.locator("table")).to_be_visible()
    expect(readers.locator(f'tr[data-reader="{jx_forecaster.pk}"]')).to_contain_text("300")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(tmp_path / "readers.png"), full_page=True)

    for url in ("/manage/readership/?days=30", "/reports/?q=十月"):
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, url
    expect(page.locator("#report-index")).to_be_visible()
    page.screenshot(path=str(tmp_path / "list.png"), full_page=True)
    page.goto("/manage/readership/")
    expect(page.locator("#readership-chart svg").first).to_be_visible()
    expect(page.locator(f'#readership-reports tr[data-report="{report.pk}"]')).to_have_attribute(
        "data-views", "301"
    )
    page.screenshot(path=str(tmp_path / "manage.png"), full_page=True)
    assert errors == []
