"""In Debian's Chromium on a phone: a quick report posted elsewhere appears on the open live map."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPORT = (
    "中国地震台网正式测定：2024-03-05 06:18:07在江西九江市修水县发生4.6级地震，"
    "震中纬度29.03，经度114.55，震源深度10km。"
)


def test_posted_quick_report_appears_live_on_the_phone_map(
    browser_login, asgi_server, jx_viewer, jx_forecaster
):
    import requests
    from rest_framework.authtoken.models import Token

    # given: a viewer has the live event map open on a phone
    page = browser_login(jx_viewer, phone=True)
    page.goto("/events/")
    page.wait_for_selector('#event-map[data-live-ready="1"]')
    assert page.locator("#event-table tbody tr[data-event]").count() == 0
    # when: a forecaster's program posts a quick report to the server's API
    token, _ = Token.objects.get_or_create(user=jx_forecaster)
    response = requests.post(
        f"{asgi_server}/api/v1/quick-reports/",
        json={"text": REPORT, "received_at": "2024-03-05T06:30:00+08:00"},  # it arrived minutes after
        headers={"Authorization": f"Token {token.key}"},
        timeout=30,
    )
    assert response.status_code == 201
    event_id = response.json()["id"]
    # then: the row and the marker appear without a reload, with a toast
    row = page.wait_for_selector(f'#event-table tr[data-event="{event_id}"]')
    assert "江西九江市修水县" in row.inner_text()
    assert "M 4.6" in row.inner_text()
    page.wait_for_selector(f'#event-map[data-last-event="{event_id}"]')
    assert page.locator("#event-map path.leaflet-interactive").count() >= 1
    page.wait_for_selector(".toast:has-text('江西九江市修水县')")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    # and the event page opens from the row, with both clocks
    row.query_selector("a").click()
    page.wait_for_selector("#event-parameters")
    text = page.locator("#event-parameters").inner_text()
    assert "2024-03-05 06:18:07.0" in text
    assert "2024-03-04 22:18:07.0" in text
