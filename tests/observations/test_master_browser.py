"""In Debian's Chromium, on a phone: the station map draws the bureau's stations coloured by
status, and a click on a station's row opens its page with its own map."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_station_map_draws_the_stations_on_a_phone(browser_login, jx, jx_viewer, make_station):
    make_station(jx, "JX-XS")
    make_station(jx, "JX-FZ", kind="geomagnetic", lon=116.36, lat=27.95)
    phone = browser_login(jx_viewer, phone=True)
    phone.goto("/observations/stations/")
    phone.wait_for_selector("#station-map[data-station-count='2']")
    phone.wait_for_selector("#station-map[data-map-ready='1']")
    assert phone.locator("#station-map path.leaflet-interactive").count() >= 2
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    phone.click("text=JX-FZ")
    phone.wait_for_url("**/observations/stations/JX-FZ/")
    phone.wait_for_selector("#station-map[data-map-ready='1']")
