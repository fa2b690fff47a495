"""In Debian's Chromium: a CENC forecaster draws a danger zone on the map and publishes it;
a JX forecaster, on a phone, links an anomaly to it from the anomaly page; the zone's page
shows the anomaly and its map draws the zone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from zones.models import DangerZone, ZoneAnomaly

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) { window.__csp.push(e.violatedDirective); });
"""


def test_draw_a_zone_then_link_an_anomaly_to_it(
    browser_login, cenc, jx, cenc_forecaster, jx_forecaster, jx_anomaly
):
    page = browser_login(cenc_forecaster)
    page.context.add_init_script(RECORD_VIOLATIONS)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto("/zones/new/")
    page.fill("#id_name", "赣中危险区")
    page.fill("#id_min_magnitude", "5.0")
    page.fill("#id_max_magnitude", "6.5")
    page.select_option("#id_bureaus", ["JX"])
    expect(page.locator("#zone-map")).to_have_attribute("data-editor-ready", "1")
    page.wait_for_timeout(300)
    page.locator(".leaflet-pm-icon-polygon").click()
    box = page.locator("#zone-map").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    corners = [(cx - 40, cy - 30), (cx + 40, cy - 30), (cx + 40, cy + 30), (cx - 40, cy + 30)]
    for x, y in corners:
        page.mouse.click(x, y)
    page.mouse.click(*corners[0])  # back on the first corner closes the ring
    expect(page.locator("#zone-map")).to_have_attribute("data-changed", "1")
    page.click("#zone-save")
    page.wait_for_url("**/zones/*/")
    zone = DangerZone.objects.get(name="赣中危险区")
    assert zone.polygon.valid
    assert len(zone.polygon.exterior_ring) == 5
    assert zone.status == "draft"
    page.once("dialog", lambda dialog: dialog.accept())  # publishing asks first (data-confirm)
    page.locator("#zone-publish").click()
    page.wait_for_url(f"**/zones/{zone.pk}/")
    zone.refresh_from_db()
    assert zone.status == "published"
    assert page.evaluate("window.__csp") == []
    assert errors == []

    phone = browser_login(jx_forecaster, phone=True)
    phone.goto(f"/disciplines/anomalies/{jx_anomaly.pk}/")
    form = phone.locator("#anomaly-zone-link")
    expect(form).to_be_visible()
    form.locator("select").select_option(str(zone.pk))
    form.locator("button").click()
    expect(phone.locator("#anomaly-zones-linked")).to_contain_text("赣中危险区")
    assert ZoneAnomaly.objects.filter(zone=zone, anomaly=jx_anomaly).exists()
    phone.goto(f"/zones/{zone.pk}/")
    expect(phone.locator(f'[data-anomaly="{jx_anomaly.pk}"]')).to_be_visible()
    expect(phone.locator("#zone-map")).to_have_attribute("data-zones", "1")
    expect(phone.locator("#zone-map path.leaflet-interactive").first).to_be_attached()
    # nothing wider than the phone
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
