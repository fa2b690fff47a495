"""In Debian's Chromium: the menu fits a desktop's bar in both languages (twenty entries side
by side once ran off a 1,280 px screen, their words broken into columns of characters), each
work area opens on its entries, and on a phone the bar folds into the menu button."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AREAS = [
    "#nav-area-quakes",
    "#nav-area-observations",
    "#nav-area-forecast",
    "#nav-area-products",
    "#sharing-nav",
]


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_bar_fits_a_desktop_and_each_area_opens(browser_login, jx, jx_admin, locale):
    page = browser_login(jx_admin, locale=locale)
    for width in (1200, 1440):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto("/")
        assert page.evaluate("document.documentElement.scrollWidth") <= width, width
        # every entry of the bar on one line
        heights = page.evaluate(
            "[...document.querySelectorAll('#nav > .navbar-nav > .nav-item > .nav-link')]"
            ".map(a => Math.round(a.getBoundingClientRect().height))"
        )
        assert heights
        assert max(heights) < 48, heights
    for area in AREAS:
        page.locator(f"{area} > a").click()
        menu = page.locator(f"{area} > .dropdown-menu")
        expect(menu).to_be_visible()
        assert menu.locator("a.dropdown-item").count() >= 2, area
        page.keyboard.press("Escape")


def test_on_a_phone_the_bar_folds_into_the_menu(browser_login, jx, jx_forecaster):
    page = browser_login(jx_forecaster, phone=True)
    page.goto("/")
    expect(page.locator("#nav-area-forecast")).to_be_hidden()
    page.locator(".navbar-toggler").click()
    page.locator("#nav-area-forecast > a").click()
    expect(page.locator("#nav-zones")).to_be_visible()
    page.locator("#nav-zones").click()
    page.wait_for_url("**/zones/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
