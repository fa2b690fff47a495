"""The live room in Chromium: the chair and an expert each see the other's changes live."""

from __future__ import annotations

import re
import threading

import pytest
from playwright.sync_api import expect

from consultations.models import DisciplineOpinion
from consultations.services import meetings as meeting_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _in_thread(func) -> None:
    from django.db import connection

    def run() -> None:
        try:
            func()
        finally:
            connection.close()

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()


def test_chair_and_expert_see_each_other_live(
    browser_login, asgi_server, jx_meeting, jx_chair, jx_expert, as_actor
):
    # Playwright's loop runs in this thread; the service pushes with async_to_sync, so run it beside
    _in_thread(lambda: meeting_services.meeting_open(actor=as_actor(jx_chair), meeting=jx_meeting))
    room_url = f"/consultations/meetings/{jx_meeting.pk}/"

    chair = browser_login(jx_chair, phone=True)
    chair.goto(room_url)
    expect(chair.locator("#room")).to_have_attribute("data-live", "1")
    expert = browser_login(jx_expert)
    expert.goto(room_url)
    expect(expert.locator("#room")).to_have_attribute("data-live", "1")

    # presence: the chair sees the expert arrive
    expect(chair.locator("#presence")).to_contain_text(jx_expert.label)

    # the chair drafts the conclusion; the expert reads it as it is typed
    chair.locator("#conclusion-editor").fill("未来一个月赣北存在发生4级地震的可能")
    expect(expert.locator("#conclusion-text")).to_have_text("未来一个月赣北存在发生4级地震的可能")

    # the expert comments and votes; the chair sees both
    expert.locator("#comment-input").fill("同意主持人意见")
    expert.locator("#comment-form button[type=submit]").click()
    expect(chair.locator("#comment-list")).to_contain_text("同意主持人意见")
    expert.locator("#vote-form button[value=agree]").click()
    expect(chair.locator('[data-count="agree"]')).to_have_text("1")

    # the expert submits an opinion with a region drawn by clicking on the map
    form = expert.context.new_page()
    form.goto(f"{room_url}opinion/")
    expect(form.locator("#draw-map")).to_have_attribute("data-map-ready", "1")
    box = form.locator("#draw-map").bounding_box()
    cx, cy = box["width"] / 2, box["height"] / 2
    form.wait_for_timeout(400)  # the map's fit-to-jurisdiction animation ignores clicks
    for dx, dy in ((-30, -20), (30, -20), (30, 25), (-30, 25)):
        form.locator("#draw-map").click(position={"x": cx + dx, "y": cy + dy})
    expect(form.locator("#draw-map")).to_have_attribute("data-vertices", "4")
    form.locator("#draw-finish").click()
    expect(form.locator("#draw-map")).to_have_attribute("data-polygons", "1")
    form.locator("#id_summary").fill("九江台水位趋势下降")
    form.locator("#id_likelihood").select_option("medium")
    form.locator("#submit-opinion").click()
    form.wait_for_url(re.compile(r".*/consultations/meetings/\d+/#opinions$"))

    # the chair's room shows the opinion without reloading
    expect(chair.locator('#opinion-list [data-discipline="fluid"] .js-summary')).to_have_text(
        "九江台水位趋势下降"
    )
    opinion = DisciplineOpinion.objects.get()
    assert opinion.regions.num_geom == 1
    assert opinion.regions.intersects(jx_meeting.bureau.jurisdiction)

    # the expert leaves (both of the expert's pages show the room now): the chair sees it
    expect(chair.locator("#presence")).to_contain_text(jx_expert.label)
    form.close()
    expert.close()
    expect(chair.locator("#presence")).not_to_contain_text(jx_expert.label)
    expect(chair.locator("#presence")).to_contain_text(jx_chair.label)


def test_open_report_page_follows_the_sign_off_live(
    browser_login, asgi_server, report_in, jx_chair, jx_approver, as_actor
):
    # given the chair reading their reviewed report, with the bell connected
    report = report_in("reviewed")
    page = browser_login(jx_chair)
    page.goto(f"/consultations/reports/{report.pk}/")
    expect(page.locator("body")).to_have_attribute("data-ws-ready", "1")
    expect(page.locator("#report-status")).to_have_attribute("data-status", "reviewed")
    expect(page.locator("#report-map")).to_have_attribute("data-map-ready", "1")  # the forecast regions drawn
    unread = int(page.locator(".js-unread-count").first.text_content() or 0)

    # when the approver signs it off elsewhere
    from consultations.services import report_workflow as report_services

    _in_thread(lambda: report_services.report_sign_off(actor=as_actor(jx_approver), report=report))

    # then the open page shows the new state and the chair's bell counts the message, without a click
    expect(page.locator("#report-status")).to_have_attribute("data-status", "signed_off")
    expect(page.locator(".js-unread-count").first).to_have_text(str(unread + 1))
    expect(page.locator("#audit")).to_contain_text("签发")
