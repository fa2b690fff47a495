"""The availability matrix (page and API) and the station map coloured by the last week's
availability: figures from known QcDay rows, colours, links, filters, month errors, tenancy."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import NoReverseMatch

from observations import availability_selectors, availability_views
from tests.observations.factories import ChannelFactory, QcDayFactory, StationFactory, geomagnetic_item


@pytest.fixture
def client():
    """The page in English: the assertions below read its English words."""
    from django.test import Client

    return Client(HTTP_ACCEPT_LANGUAGE="en")


pytestmark = pytest.mark.django_db

NOV = dt.date(2026, 11, 1)


@pytest.fixture
def jx_channels(jx):
    well = StationFactory(bureau=jx, code="JXW")
    mag = StationFactory(bureau=jx, code="JXM", kind="geomagnetic")
    return ChannelFactory(station=well), ChannelFactory(station=mag, item=geomagnetic_item("H"))


@pytest.fixture
def nm_channel(nm):
    return ChannelFactory(station=StationFactory(bureau=nm, code="NMW"))


@pytest.fixture
def november(jx_channels, nm_channel):
    water, h = jx_channels
    return {
        "good": QcDayFactory(channel=water, day=dt.date(2026, 11, 3), availability=100.0),
        "fair": QcDayFactory(channel=water, day=dt.date(2026, 11, 4), availability=95.5, flagged=True),
        "poor": QcDayFactory(
            channel=h, day=dt.date(2026, 11, 4), availability=42.0, flagged=True, status="reviewed"
        ),
        "other": QcDayFactory(channel=nm_channel, day=dt.date(2026, 11, 3), availability=77.0),
    }


def _row(html: str, channel_id: int) -> str:
    match = re.search(rf'<tr data-channel="{channel_id}">(.*?)</tr>', html, re.S)
    assert match is not None
    return match.group(1)


def test_availability_class_thresholds():
    """The one colour rule: at or above 99 good, at or above 90 fair, below poor, 0/None none."""
    values = [100.0, 99.0, 98.9, 90.0, 89.9, 0.5, 0.0, None]
    assert [availability_selectors.availability_class(v) for v in values] == [
        "av-good",
        "av-good",
        "av-fair",
        "av-fair",
        "av-poor",
        "av-poor",
        "av-none",
        "av-none",
    ]


def test_matrix_page_colours_marks_and_titles(client, jx_viewer, jx_channels, november):
    water, h = jx_channels
    client.force_login(jx_viewer)
    response = client.get("/observations/availability/", {"month": "2026-11"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<th scope="col" data-day=') == 30
    water_row = _row(html, water.pk)
    cells = re.findall(r"<td [^>]*>", water_row)
    assert len(cells) == 30
    assert cells[0] == '<td class="av-none" title="2026-11-01: not checked">'
    assert f'data-qc="{november["good"].pk}"' in cells[2]
    assert 'class="av-good"' in cells[2]
    assert 'title="2026-11-03: 100.0 %"' in cells[2]
    assert 'class="av-fair av-flagged"' in cells[3]
    assert 'title="2026-11-04: 95.5 % · flagged"' in cells[3]
    h_cells = re.findall(r"<td [^>]*>", _row(html, h.pk))
    assert 'class="av-poor av-reviewed"' in h_cells[3]
    assert "UTC" in html
    assert 'href="?month=2026-10"' in html
    assert 'href="?month=2026-12"' in html


def test_matrix_never_shows_or_counts_another_bureaus_channels(client, jx_viewer, nm_channel, november):
    client.force_login(jx_viewer)
    html = client.get("/observations/availability/", {"month": "2026-11"}).content.decode()
    assert f'data-channel="{nm_channel.pk}"' not in html
    assert "NMW" not in html
    assert "2 channels" in html


def test_national_unit_sees_no_provinces_qc(client, make_person, cenc, november):
    """Stations are published to national units; QC results are not."""
    client.force_login(make_person("cenc_viewer", (cenc, "viewer")))
    html = client.get("/observations/availability/", {"month": "2026-11"}).content.decode()
    assert "data-channel=" not in html


def test_matrix_filters_by_station_discipline_and_item(client, jx_viewer, jx_channels, november):
    water, h = jx_channels
    client.force_login(jx_viewer)

    def shown(**params):
        html = client.get("/observations/availability/", {"month": "2026-11", **params}).content.decode()
        return sorted(int(pk) for pk in re.findall(r'<tr data-channel="(\d+)">', html))

    assert shown() == sorted([water.pk, h.pk])
    assert shown(station="JXM") == [h.pk]
    assert shown(discipline="fluid") == [water.pk]
    assert shown(item="GM_H") == [h.pk]
    assert shown(item="NOPE") == []


def test_matrix_paginates_by_channels(client, jx_viewer, jx, monkeypatch):
    monkeypatch.setattr(availability_views, "CHANNELS_PER_PAGE", 1)
    first = ChannelFactory(station=StationFactory(bureau=jx, code="JXA"))
    second = ChannelFactory(station=StationFactory(bureau=jx, code="JXB"))
    client.force_login(jx_viewer)
    page1 = client.get("/observations/availability/", {"month": "2026-11"}).content.decode()
    page2 = client.get("/observations/availability/", {"month": "2026-11", "page": "2"}).content.decode()
    assert re.findall(r'<tr data-channel="(\d+)">', page1) == [str(first.pk)]
    assert re.findall(r'<tr data-channel="(\d+)">', page2) == [str(second.pk)]
    assert "month=2026-11&amp;page=2" in page1


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "nov", "2026-11-01", "0000-01", "9999-01"])
def test_bad_month_is_400_on_the_page_and_the_api(client, api, jx_viewer, month):
    client.force_login(jx_viewer)
    assert client.get("/observations/availability/", {"month": month}).status_code == 400
    response = api(jx_viewer, "JX").get("/api/v1/series/availability/", {"month": month})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["month"]


def test_matrix_cells_link_to_the_qc_day_page_when_it_exists(monkeypatch):
    availability_views._qc_day_url_pattern.cache_clear()
    monkeypatch.setattr(availability_views, "reverse", lambda name, args: f"/observations/qc/{args[0]}/")
    try:
        assert availability_views.qc_day_url(17) == "/observations/qc/17/"
    finally:
        availability_views._qc_day_url_pattern.cache_clear()


def test_matrix_cells_link_nowhere_without_the_qc_day_page(monkeypatch):
    def missing(name, args):
        raise NoReverseMatch(name)

    availability_views._qc_day_url_pattern.cache_clear()
    monkeypatch.setattr(availability_views, "reverse", missing)
    try:
        assert availability_views.qc_day_url(17) == ""
    finally:
        availability_views._qc_day_url_pattern.cache_clear()


def test_api_contract(api, jx_viewer, jx_channels, november):
    water, h = jx_channels
    response = api(jx_viewer, "JX").get("/api/v1/series/availability/", {"month": "2026-11"})
    assert response.status_code == 200
    body = response.json()
    assert body["month"] == "2026-11"
    assert body["days"][0] == "2026-11-01"
    assert len(body["days"]) == 30
    by_id = {c["id"]: c for c in body["channels"]}
    assert sorted(by_id) == sorted([water.pk, h.pk])
    assert by_id[water.pk]["station"] == "JXW"
    assert by_id[water.pk]["item"] == "WL"
    assert by_id[water.pk]["availability"][:5] == [None, None, 100.0, 95.5, None]
    assert by_id[h.pk]["availability"][3] == 42.0


def test_api_filters_and_other_bureau(api, jx_viewer, nm_admin, jx_channels, november, nm_channel):
    water, _ = jx_channels
    jx_body = (
        api(jx_viewer, "JX")
        .get("/api/v1/series/availability/", {"month": "2026-11", "discipline": "fluid"})
        .json()
    )
    assert [c["id"] for c in jx_body["channels"]] == [water.pk]
    nm_body = api(nm_admin, "NM").get("/api/v1/series/availability/", {"month": "2026-11"}).json()
    assert [c["id"] for c in nm_body["channels"]] == [nm_channel.pk]
    assert nm_body["channels"][0]["availability"][2] == 77.0


def test_api_refuses_anonymous(api):
    assert api().get("/api/v1/series/availability/").status_code == 401


# --- the station map ------------------------------------------------------------------------


TODAY = dt.date(2026, 11, 20)


def test_week_availability_from_known_rows(jx, jx_viewer, as_actor, django_assert_num_queries):
    """Mean over active channels x 7 days; a missing day counts 0; inactive channels and days
    outside the window do not count; a station without channels is None."""
    full = StationFactory(bureau=jx, code="JXF")
    a, b = ChannelFactory(station=full), ChannelFactory(station=full, item=geomagnetic_item("Z"))
    retired = ChannelFactory(station=full, item=geomagnetic_item("D"), is_active=False)
    empty = StationFactory(bureau=jx, code="JXE")
    for n in range(1, 8):  # the 13th to the 19th
        QcDayFactory(channel=a, day=TODAY - dt.timedelta(days=n), availability=100.0)
    for n in range(1, 4):  # three days of b, the other four missing
        QcDayFactory(channel=b, day=TODAY - dt.timedelta(days=n), availability=70.0)
    QcDayFactory(channel=retired, day=TODAY - dt.timedelta(days=1), availability=0.0)
    QcDayFactory(channel=a, day=TODAY, availability=0.0)  # today is not over: not counted
    QcDayFactory(channel=b, day=TODAY - dt.timedelta(days=8), availability=100.0)  # before the week
    actor = as_actor(jx_viewer, "JX")
    with django_assert_num_queries(2):
        week = availability_selectors.station_week_availability(
            actor=actor, stations=[full, empty], today=TODAY
        )
    assert week[full.pk].value == round((7 * 100 + 3 * 70) / 14, 1)
    assert week[full.pk].value == 65.0
    assert week[full.pk].css == "av-poor"
    assert week[full.pk].channels == 2
    assert week[empty.pk].value is None
    assert week[empty.pk].css == "av-none"


def test_week_availability_is_none_for_another_bureaus_station(jx, nm, nm_admin, as_actor):
    station = StationFactory(bureau=jx, code="JXO")
    QcDayFactory(channel=ChannelFactory(station=station), day=TODAY - dt.timedelta(days=1))
    week = availability_selectors.station_week_availability(
        actor=as_actor(nm_admin, "NM"), stations=[station], today=TODAY
    )
    assert week[station.pk].value is None


def test_station_list_shows_the_figure_and_colours_the_points(client, jx, jx_viewer):
    station = StationFactory(bureau=jx, code="JXS")
    channel = ChannelFactory(station=station)
    today = availability_selectors.utc_today()
    for n in range(1, 8):
        QcDayFactory(channel=channel, day=today - dt.timedelta(days=n), availability=99.5)
    client.force_login(jx_viewer)
    response = client.get("/observations/stations/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<td data-availability="99.5"><span class="av-badge av-good">99.5 %</span></td>' in html
    points = response.context["points"]
    assert [(p["name"].split()[0], p["availability"], p["css"]) for p in points] == [("JXS", 99.5, "av-good")]
    assert 'id="availability-legend"' in html
