"""In Debian's Chromium, on a phone: making an API token, its secret shown once and copied
with the button, the list and the token's page fitting the screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.models import ApiToken

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_make_and_copy_a_token_on_a_phone(browser_login, jx_forecaster, tmp_path):
    page = browser_login(jx_forecaster, phone=True)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    page.goto("/me/tokens/")
    expect(page.locator("h1")).to_contain_text("我的 API 令牌")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.fill("#id_name", "台站数据上传")
    page.check('input[name="scopes"][value="series:read"]')
    page.check('input[name="scopes"][value="catalog:read"]')
    page.click("#token-form button[type=submit]")

    secret = page.locator("#token-secret")
    expect(secret).to_be_visible()
    value = secret.input_value()
    assert value.startswith("ispat_")
    assert ApiToken.objects.get().hint == value[:10]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(tmp_path / "created.png"), full_page=True)
    button = page.locator("[data-copy=token-secret]")
    button.click()
    expect(button).to_have_text("已复制")
    assert page.evaluate("navigator.clipboard.readText()") == value

    page.goto("/me/tokens/")
    expect(page.locator("#token-table")).to_contain_text("台站数据上传")
    assert value not in page.content()
    page.locator("#token-table a").first.click()
    expect(page.locator("#token-facts")).to_contain_text("series:read")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(tmp_path / "detail.png"), full_page=True)
    assert not errors
