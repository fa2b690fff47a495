"""The countdown of a case's first opinion on its page, its list and the dashboard: a live
countdown while open, "overdue by N min" past the deadline, "issued N min before/after the
deadline" once issued; and on a phone-wide screen in Chromium."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from postquake.models import CaseState, PostQuakeCase
from postquake.panels import open_cases
from postquake.punctuality import clock_of
from tests.factories import EventFactory

pytestmark = pytest.mark.django_db

MIN = dt.timedelta(minutes=1)


def _issue_and_close(issue, actor, case):
    from django.db import connection

    try:
        issue(actor=actor, case=case)
    finally:
        connection.close()


def _case(bureau, *, started_ago, issued_after=None, due=30, public_id=None):
    start = timezone.now() - started_ago * MIN
    event = EventFactory(
        bureau=bureau, magnitude=5.8, origin_time=start - MIN, public_id=public_id or f"ev-{started_ago}"
    )
    return PostQuakeCase.objects.create(
        bureau=bureau,
        event=event,
        opened_at=start,
        clock_start=start,
        due_at=start + due * MIN,
        state=CaseState.OPINION_ISSUED if issued_after is not None else CaseState.OPEN,
        issued_at=start + issued_after * MIN if issued_after is not None else None,
    )


def test_the_clock_runs_then_is_overdue_then_tells_the_issue_against_the_deadline(jx):
    case = _case(jx, started_ago=0)
    assert clock_of(case, case.clock_start + 10 * MIN) == {"clock": "running", "minutes": 20, "after": False}
    assert clock_of(case, case.due_at + 7 * MIN) == {"clock": "overdue", "minutes": 7, "after": True}
    case.issued_at = case.due_at - 8 * MIN
    assert clock_of(case, case.due_at + 60 * MIN) == {"clock": "issued", "minutes": 8, "after": False}
    case.issued_at = case.due_at + 3 * MIN
    assert clock_of(case, case.due_at + 60 * MIN) == {"clock": "issued", "minutes": 3, "after": True}
    case.issued_at, case.state = None, CaseState.CLOSED
    assert clock_of(case, case.due_at)["clock"] == "closed"


def test_the_dashboard_panel_counts_down_the_open_cases_and_tells_the_issued_ones(
    jx, jx_chair, nm_forecaster, as_actor
):
    open_case = _case(jx, started_ago=5)
    overdue = _case(jx, started_ago=45)
    issued = _case(jx, started_ago=60, issued_after=22)
    _case(jx, started_ago=3000, issued_after=40)  # issued two days ago: no longer shown
    with translation.override("en"):
        panel = open_cases(as_actor(jx_chair))
    assert panel.count == 2
    assert [item.url for item in panel.items] == [
        overdue.get_absolute_url(),
        open_case.get_absolute_url(),
        issued.get_absolute_url(),
    ]
    assert panel.items[0].deadline == overdue.due_at
    assert panel.items[0].level == "danger"
    assert panel.items[1].level == "warning"
    assert panel.items[2].deadline is None
    assert panel.items[2].meta == "issued 8 min before the deadline"
    assert open_cases(as_actor(nm_forecaster)).items == []


def test_the_dashboard_draws_the_live_countdown(jx, jx_chair, client):
    case = _case(jx, started_ago=5)
    client.force_login(jx_chair)
    html = client.get("/").content.decode()
    assert f'data-countdown="{case.due_at.isoformat()}"' in html
    assert f'data-reload-on="{case.get_absolute_url()}"' in html
    assert "portal/countdown.js" in html


def test_the_case_page_shows_the_countdown_then_the_punctuality(jx, jx_forecaster, client):
    client.force_login(jx_forecaster)
    running = _case(jx, started_ago=5)
    html = client.get(reverse("postquake:case-detail", kwargs={"case_id": running.pk})).content.decode()
    assert 'data-clock="running"' in html
    assert f'data-countdown="{running.due_at.isoformat()}"' in html
    late = _case(jx, started_ago=50, issued_after=41)
    html = client.get(reverse("postquake:case-detail", kwargs={"case_id": late.pk})).content.decode()
    assert 'data-clock="issued" data-minutes="11"' in html
    assert "data-countdown=" not in html
    listing = client.get(reverse("postquake:case-list")).content.decode()
    assert listing.count("data-countdown=") == 1
    assert 'data-clock="issued" data-minutes="11"' in listing


def test_the_case_page_shows_the_reminders_sent(jx, jx_forecaster, client):
    case = _case(jx, started_ago=40)
    PostQuakeCase.objects.filter(pk=case.pk).update(
        reminded_at=case.clock_start + 20 * MIN, deadline_passed_at=case.due_at
    )
    client.force_login(jx_forecaster)
    html = client.get(reverse("postquake:case-detail", kwargs={"case_id": case.pk})).content.decode()
    assert 'data-reminder="before"' in html
    assert 'data-reminder="deadline"' in html


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_phone_the_countdown_runs_turns_overdue_and_turns_issued_live(
    browser_login, jx, jx_chair, as_actor, tmp_path
):
    soon = _case(jx, started_ago=29, public_id="soon")  # about a minute left
    late = _case(jx, started_ago=42, public_id="late")  # 12 minutes overdue
    page = browser_login(jx_chair, phone=True)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # the dashboard: both cases count down or say how late they are
    from playwright.sync_api import expect

    expect(
        page.locator(f'[data-panel="postquake-open"] [data-reload-on="{soon.get_absolute_url()}"]')
    ).to_have_attribute("data-countdown-state", "running")
    overdue = page.locator(f'[data-panel="postquake-open"] [data-reload-on="{late.get_absolute_url()}"]')
    expect(overdue).to_have_text("超时 12 分钟")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # the case page: a running clock ticks down
    page.goto(soon.get_absolute_url())
    clock = page.locator("#case-clock [data-countdown]")
    expect(clock).to_have_attribute("data-countdown-state", "running")
    first = clock.inner_text()
    expect(clock).not_to_have_text(first)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(tmp_path / "postquake-case-phone.png"))
    # the chair issues the opinion elsewhere: the open page hears it and shows the punctuality
    expect(page.locator("body")).to_have_attribute("data-ws-ready", "1")
    from postquake.services.cases import case_mark_issued

    def case_issue(*, actor, case):  # as opinions.opinion_became_issued does with the first opinion
        return case_mark_issued(actor=actor, case=case, issued_at=timezone.now())

    # Playwright's sync API holds an event loop on this thread; the broadcast needs its own.
    issuer = threading.Thread(target=lambda: _issue_and_close(case_issue, as_actor(jx_chair), soon))
    issuer.start()
    issuer.join()
    expect(page.locator('#case-clock [data-clock="issued"]')).to_have_count(1)
    assert errors == []
