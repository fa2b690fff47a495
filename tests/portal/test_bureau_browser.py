"""In Debian's Chromium: a jurisdiction drawn and edited on the bureau page's map is saved;
a field's error goes once the field is edited."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from portal.models import Bureau

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) { window.__csp.push(e.violatedDirective); });
"""


def test_system_admin_draws_a_jurisdiction_then_moves_a_corner(browser_login, sysadmin, jx):
    page = browser_login(sysadmin)
    page.context.add_init_script(RECORD_VIOLATIONS)  # the drawing tools run under the policy (no eval)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto("/manage/bureaus/new/")
    page.fill("#id_code", "TB")
    page.fill("#id_name_zh", "测试局")
    page.fill("#id_name_en", "Test bureau")
    expect(page.locator("#bureau-map")).to_have_attribute("data-editor-ready", "1")
    page.wait_for_timeout(300)
    page.locator(".leaflet-pm-icon-polygon").click()
    box = page.locator("#bureau-map").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    corners = [(cx - 40, cy - 30), (cx + 40, cy - 30), (cx + 40, cy + 30), (cx - 40, cy + 30)]
    for x, y in corners:
        page.mouse.click(x, y)
    page.mouse.click(*corners[0])  # back on the first corner closes the ring
    expect(page.locator("#bureau-map")).to_have_attribute("data-changed", "1")
    page.click("#bureau-save")
    page.wait_for_url("**/manage/bureaus/TB/")
    drawn = Bureau.objects.get(code="TB").jurisdiction
    assert (drawn.num_geom, len(drawn[0].exterior_ring)) == (1, 5)
    assert drawn.valid

    # the saved shape comes back editable: drag one corner outwards, save, and the area grows
    expect(page.locator("#bureau-map")).to_have_attribute("data-editor-ready", "1")
    page.wait_for_timeout(300)
    page.locator(".leaflet-pm-icon-edit").click()
    vertex = page.locator("#bureau-map .marker-icon:not(.marker-icon-middle)").first
    expect(vertex).to_be_visible()
    vbox = vertex.bounding_box()
    vx, vy = vbox["x"] + vbox["width"] / 2, vbox["y"] + vbox["height"] / 2
    page.mouse.move(vx, vy)
    page.mouse.down()
    page.mouse.move(vx - 30, vy - 30, steps=5)
    page.mouse.up()
    expect(page.locator("#bureau-map")).to_have_attribute("data-changed", "1")
    page.click("#bureau-save")
    page.wait_for_url("**/manage/bureaus/TB/")
    page.wait_for_load_state()
    edited = Bureau.objects.get(code="TB").jurisdiction
    assert edited.area > drawn.area
    assert edited.valid
    assert page.evaluate("window.__csp") == []
    assert errors == []


def test_a_field_error_goes_once_the_field_is_edited(browser_login, sysadmin):
    page = browser_login(sysadmin)
    page.goto("/manage/bureaus/new/")
    page.fill("#id_name_zh", "测试局")
    page.fill("#id_name_en", "Test bureau")
    page.click("#bureau-save")
    message = page.locator("#id_code ~ .invalid-feedback")
    expect(message).to_be_visible()
    expect(page.locator("#id_code")).to_have_class(re.compile(r"\bis-invalid\b"))
    page.fill("#id_code", "TB")
    expect(message).to_be_hidden()
    expect(page.locator("#id_code")).not_to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page.locator("#id_name_zh")).not_to_have_class(re.compile(r"\bis-invalid\b"))
