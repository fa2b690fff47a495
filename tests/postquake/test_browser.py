"""The case page on a phone: the chair reads what changed, edits the proposed update and
issues it; nothing scrolls sideways."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from playwright.sync_api import expect

from postquake.services import case_reevaluate, opinion_transition

from .conftest import aftershock

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_chair_issues_the_proposed_update_on_a_phone(
    drafted_case, jx, mainshock, jx_chair, as_actor, browser_login
):
    opinion_transition(actor=as_actor(jx_chair), opinion=drafted_case.opinions.get(number=1), action="issue")
    aftershock(jx, mainshock, magnitude=4.6, public_id="pq-phone")
    case_reevaluate(case_id=drafted_case.pk, now=mainshock.origin_time + dt.timedelta(minutes=30))

    for locale in ("en-US", "zh-CN"):
        page = browser_login(jx_chair, phone=True, locale=locale)
        page.goto(drafted_case.get_absolute_url())
        update = page.locator("#opinion-2")
        expect(update.locator("#changes-2 li").first).to_be_visible()
        expect(page.locator("#opinion-form-2 textarea")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        if os.environ.get("PQ_SCREENSHOT"):
            page.screenshot(path=f"/tmp/pq_case_{locale}.png", full_page=True)
    expect(page.locator("#changes-2")).to_contain_text("序列区内余震：0 → 1")
    page.fill("#opinion-form-2 textarea", "余震序列继续衰减，维持原判断。")
    page.click("#opinion-form-2 button[value=edit]")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#opinion-actions-2 button[value=issue]")
    expect(page.locator("#opinion-2")).to_have_attribute("data-state", "issued")
    expect(page.locator("#opinion-text-2")).to_have_text("余震序列继续衰减，维持原判断。")
