"""The series plots' markup: one plot per active channel on the station page (the closed one
left out), the channel's own on its page, the words in Chinese by default, the library served
from our static files."""

from __future__ import annotations

import re

import pytest

from tests.observations.factories import ChannelFactory, StationFactory, geomagnetic_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def observatory(jx):
    station = StationFactory(bureau=jx, code="JX-FZ", kind="geomagnetic")
    h = ChannelFactory(station=station, item=geomagnetic_item("H"))
    z = ChannelFactory(station=station, item=geomagnetic_item("Z"), interval=1)
    closed = ChannelFactory(station=station, item=geomagnetic_item("F"), is_active=False)
    return station, h, z, closed


def test_station_page_plots_each_active_channel_with_its_interval(client, jx_viewer, observatory):
    station, h, z, _closed = observatory
    client.force_login(jx_viewer)
    page = client.get("/observations/stations/JX-FZ/").content.decode()
    plots = re.findall(
        r'class="series-plot mb-3" data-channel="(\d+)" data-interval="(\d+)" data-unit="nT"', page
    )
    assert plots == [(str(h.pk), "60"), (str(z.pk), "1")]
    assert f'data-lat="{station.location.y}" data-lon="{station.location.x}"' in page
    assert "/static/vendor/uplot/uPlot.iife.min.js" in page
    assert "/static/observations/series_plot.js" in page
    assert "<script>" not in page  # no inline script under the CSP


def test_channel_page_plots_its_channel_even_when_closed(client, jx_viewer, observatory):
    _station, _h, _z, closed = observatory
    client.force_login(jx_viewer)
    page = client.get(closed.get_absolute_url()).content.decode()
    assert re.findall(r'class="series-plot mb-3" data-channel="(\d+)"', page) == [str(closed.pk)]


def test_the_plot_words_are_chinese_by_default(client, settings, jx_viewer, observatory):
    settings.LANGUAGE_CODE = "zh-hans"
    client.force_login(jx_viewer)
    page = client.get("/observations/stations/JX-FZ/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    for words in (
        "1 周",
        "4 级以上地震，距离",
        'data-onset="异常开始"',
        'data-res1h="小时均值"',
        "附近的 4 级以上地震",
    ):
        assert words in page, words
