"""In Debian's Chromium: in a form of several actions, only the irreversible button asks first."""

from __future__ import annotations

import pytest

from disciplines.models import Anomaly

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_withdrawing_an_anomaly_asks_first(browser_login, reported, jx_reporter):
    anomaly = reported()
    page = browser_login(jx_reporter, phone=True)
    page.goto(f"/disciplines/anomalies/{anomaly.pk}/")
    asked: list[str] = []

    def answer(dialog, accept: bool) -> None:
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda d: answer(d, False))
    page.click("#action-form button[data-action=withdraw]")
    page.wait_for_timeout(300)
    assert asked == ["撤回该异常上报？"]
    anomaly.refresh_from_db()
    assert anomaly.state == Anomaly.State.REPORTED  # declined: nothing sent
    page.once("dialog", lambda d: answer(d, True))
    with page.expect_navigation():
        page.click("#action-form button[data-action=withdraw]")
    anomaly.refresh_from_db()
    assert (len(asked), anomaly.state) == (2, Anomaly.State.CLOSED)
