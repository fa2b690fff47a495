"""In Debian's Chromium: dashboards per role, the bureau switcher, live notifications."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_two_roles_see_their_own_dashboards(browser_login, jx_admin, jx_reporter, nm):
    admin_page = browser_login(jx_admin)
    assert admin_page.locator("#dashboard-title").inner_text().strip() == "江西省地震局"
    assert admin_page.locator('[data-panel="people"]').is_visible()
    assert admin_page.locator('#role-badges [data-role="bureau_admin"]').inner_text() == "管理员"
    admin_page.wait_for_selector('#jurisdiction-map[data-map-ready="1"]')
    assert admin_page.locator("#jurisdiction-map path.leaflet-interactive").count() == 2

    reporter_page = browser_login(jx_reporter, phone=True)
    assert reporter_page.locator('#role-badges [data-role="reporter"]').inner_text() == "填报员"
    assert reporter_page.locator('[data-panel="people"]').count() == 0
    assert reporter_page.locator('[data-panel="notifications"]').is_visible()
    # on a phone the menu folds behind the toggler and the page does not scroll sideways
    assert reporter_page.locator(".navbar-toggler").is_visible()
    assert reporter_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_bureau_switcher_and_english(browser_login, make_person, jx, nm):
    both = make_person("both", (jx, "forecaster"), (nm, "viewer"))
    page = browser_login(both)
    assert page.locator("#dashboard-title").inner_text().strip() == "江西省地震局"
    page.select_option("#bureau-switcher select", "NM")
    page.wait_for_selector("#dashboard-title:has-text('内蒙古')")
    page.click("#language-switcher button")
    page.wait_for_selector("html[lang=en]")
    assert page.locator("#dashboard-title").inner_text().strip() == "Inner Mongolia"
    assert page.locator('[data-panel="notifications"] h2').inner_text() == "Unread notifications"


@pytest.mark.worker
def test_notification_from_a_celery_task_reaches_the_open_page(browser_login, real_celery, jx, jx_viewer):
    from portal.tasks import notify_bureau_task

    page = browser_login(jx_viewer)
    page.wait_for_selector("body[data-ws-ready='1']")
    result = notify_bureau_task.delay(
        bureau_code="JX", title="江西宜春M4.1地震 专题报告已生成", url="/notifications/", level="urgent"
    )
    assert result.get(timeout=30) == 1
    toast = page.wait_for_selector(".toast:has-text('江西宜春M4.1地震')")
    assert toast.get_attribute("data-level") == "urgent"
    assert page.locator(".js-unread-count").first.inner_text() == "1"
    assert page.locator('[data-panel-items="notifications"] li[data-live]').first.inner_text() == (
        "江西宜春M4.1地震 专题报告已生成"
    )
    page.goto("/notifications/")
    assert "江西宜春M4.1地震 专题报告已生成" in page.locator("#notification-list").inner_text()
