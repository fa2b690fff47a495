"""In Debian's Chromium, on a phone: a JX forecaster saves an anomaly, types words into the
box every page has and finds it at once, grouped by kind with the words marked; narrows to
the kind and opens it. Another bureau's forecaster finds nothing of it (the draft)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories import AnomalyFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _search_from_the_menu(page, words):
    page.goto("/")
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
    box = page.locator("#nav-search input[name=q]")
    expect(box).to_be_visible()
    box.fill(words)
    box.press("Enter")
    page.wait_for_url("**/search/?q=*")


def test_find_what_was_just_saved_then_open_it(
    browser_login, jx, nm, disciplines, jx_forecaster, nm_forecaster
):
    draft = AnomalyFactory(
        bureau=jx,
        discipline=disciplines["fluid"],
        station="修水台",
        observation_item="水位",
        description="修水台水位呈趋势性下降，幅度约0.4米。",
    )  # committed: the index is kept current on commit, no rebuild here
    page = browser_login(jx_forecaster, phone=True)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _search_from_the_menu(page, "修水 水位下降")
    group = page.locator('section[data-kind="anomaly"]')
    expect(group).to_be_visible()
    hit = group.locator(f'li[data-id="{draft.pk}"]')
    expect(hit).to_be_visible()
    expect(hit.locator("mark").first).to_have_text("修水")
    assert "水位" in hit.locator("mark").all_inner_texts()
    expect(page.locator("#search-total")).to_contain_text("1")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    page.locator('#search-kinds a[data-kind="anomaly"]').click()
    page.wait_for_url("**kind=anomaly*")
    expect(page.locator(f'#search-results li[data-id="{draft.pk}"]')).to_be_visible()
    page.locator(f'#search-results li[data-id="{draft.pk}"] a').first.click()
    page.wait_for_url(f"**/disciplines/anomalies/{draft.pk}/")
    assert errors == []
    # the anomaly's facts (a nested grid row) once ran 4 px past a phone's width
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    other = browser_login(nm_forecaster, phone=True)
    _search_from_the_menu(other, "修水 水位下降")
    expect(other.locator("#search-nothing")).to_be_visible()
    expect(other.locator(f'li[data-id="{draft.pk}"]')).to_have_count(0)
