"""The trend report on a phone in Chromium: a forecaster writes a section and submits, the
reviewer returns it with a comment, the forecaster reads the comment, fixes and resubmits,
the reviewer reviews and a second approver signs it off."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from trends.models import TrendReport, TrendSection

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _save_text(page, key: str, text: str) -> None:
    page.locator(f"#text-{key}").fill(text)
    page.locator(f"#section-{key} .section-edit button").click()
    page.wait_for_load_state()


def test_draft_return_fix_review_sign_on_a_phone(
    browser_login, jx, jx_forecaster, jx_approver, jx_reviewer, as_actor
):
    from trends.services import trend_reports

    # given a compiled draft (compiled here, with the fake compilers of this process)
    report, _created = trend_reports.trend_report_request(
        actor=as_actor(jx_forecaster), bureau=jx, month=dt.date(2026, 10, 1)
    )
    report.refresh_from_db()
    assert report.compile_status == "done"
    url = f"/trends/{report.pk}/"

    # the forecaster writes the opinion and submits
    forecaster = browser_login(jx_forecaster, phone=True)
    forecaster.goto(url)
    _save_text(forecaster, "opinion", "下月发生5级地震的可能性不大")
    forecaster.locator('[data-action="submit"]').click()
    expect(forecaster.locator("#report-status")).to_have_attribute("data-status", "submitted")

    # the reviewer returns it with a comment on the opinion
    reviewer = browser_login(jx_approver, phone=True)
    reviewer.goto(url)
    reviewer.locator("#r-comment").fill("请写明关注区域")
    reviewer.locator("#report-actions summary").click()
    reviewer.locator("#sc-opinion").fill("补充赣中地区")
    reviewer.locator('[data-action="return"]').click()
    expect(reviewer.locator("#report-status")).to_have_attribute("data-status", "draft")

    # the forecaster sees the comments, fixes the text and submits again
    forecaster.goto(url)
    expect(forecaster.locator("#review-comment")).to_contain_text("请写明关注区域")
    expect(forecaster.locator("#section-opinion .section-comment")).to_contain_text("补充赣中地区")
    _save_text(forecaster, "opinion", "下月赣中地区需关注4级左右地震")
    forecaster.locator('[data-action="submit"]').click()
    expect(forecaster.locator("#report-status")).to_have_attribute("data-status", "submitted")

    # the reviewer reviews; a second approver signs it off
    reviewer.goto(url)
    reviewer.locator('[data-action="review"]').click()
    expect(reviewer.locator("#report-status")).to_have_attribute("data-status", "reviewed")
    expect(reviewer.locator('[data-action="sign_off"]')).to_have_count(0)  # four eyes
    signer = browser_login(jx_reviewer, phone=True)
    signer.goto(url)
    signer.locator('[data-action="sign_off"]').click()
    expect(signer.locator("#report-status")).to_have_attribute("data-status", "signed_off")

    report = TrendReport.objects.get(pk=report.pk)
    assert (report.reviewed_by, report.signed_off_by) == (jx_approver, jx_reviewer)
    assert TrendSection.objects.get(report=report, key="opinion").text == "下月赣中地区需关注4级左右地震"
    # the page fits the phone: nothing wider than the viewport
    width = signer.evaluate("document.documentElement.scrollWidth")
    assert width <= 390


def test_the_page_follows_a_compilation_until_it_ends(browser_login, jx, jx_forecaster, as_actor):
    import threading

    from django.db import connection

    from trends.services import trend_compile, trend_reports

    # given a report whose compilation is queued (its task was never sent: no commit hook ran)
    report, _created = trend_reports.trend_report_request(
        actor=as_actor(jx_forecaster), bureau=jx, month=dt.date(2026, 9, 1)
    )
    TrendReport.objects.filter(pk=report.pk).update(compile_status="queued")
    page = browser_login(jx_forecaster, phone=True)
    page.goto(f"/trends/{report.pk}/")
    expect(page.locator("#compile-box")).to_have_attribute("data-compile-status", "queued")

    # when a worker compiles it (beside Playwright's loop: the service pushes with async_to_sync)
    def run() -> None:
        try:
            trend_compile.trend_report_compile(report_id=report.pk)
        finally:
            connection.close()

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()

    # then the page polls, reloads and shows the compiled data
    expect(page.locator("#compile-box")).to_have_attribute("data-compile-status", "done")
    expect(page.locator('#section-seismicity [data-block="counts"]')).to_be_visible()
