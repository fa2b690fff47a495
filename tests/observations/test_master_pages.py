"""The master-data pages: map and list, a station with its history, a channel, the change
queue and a change, the proposal form; as the bureau's people and as others."""

from __future__ import annotations

import pytest

from observations.models import MasterDataChange, Station

pytestmark = pytest.mark.django_db


@pytest.fixture
def station(jx, make_station, make_channel):
    station = make_station(jx, "JX-XS", name_en="Xiushui well")
    make_channel(station, "WL")
    return station


def test_station_pages_render_for_the_bureau(client, jx_viewer, station):
    client.force_login(jx_viewer)
    listing = client.get("/observations/stations/")
    detail = client.get("/observations/stations/JX-XS/")
    channel = client.get(station.channels.get().get_absolute_url())
    assert listing.status_code == 200
    assert "JX-XS" in listing.content.decode()
    assert detail.status_code == 200
    page = detail.content.decode()
    assert "JX-XS台" in page
    assert 'id="station-map"' in page
    assert "/observations/changes/new/" not in page  # a viewer proposes nothing
    assert channel.status_code == 200
    assert 'id="series-plot"' in channel.content.decode()


def test_other_province_gets_404_on_the_station_page(client, nm_admin, station):
    client.force_login(nm_admin)
    assert client.get("/observations/stations/JX-XS/").status_code == 404
    assert client.get(station.channels.get().get_absolute_url()).status_code == 404


def test_admin_proposes_through_the_form_and_second_admin_approves_on_the_page(
    client, jx_admin, jx_admin2, station
):
    # given
    client.force_login(jx_admin)
    form = client.get(f"/observations/changes/new/?target=station&action=update&object={station.pk}")
    assert form.status_code == 200
    # when
    response = client.post(
        "/observations/changes/new/",
        {
            "target": "station",
            "action": "update",
            "object": station.pk,
            "code": "ignored",
            "name_zh": station.name_zh,
            "name_en": "Xiushui observation well",
            "lon": str(station.location.x),
            "lat": str(station.location.y),
            "kind": "well",
            "reason": "英文名称修订",
        },
    )
    # then
    change = MasterDataChange.objects.get(proposed_by=jx_admin)
    assert response.status_code == 302
    assert change.values == {"name_en": "Xiushui observation well"}
    own = client.get(change.get_absolute_url()).content.decode()
    assert "/do/approve/" not in own  # the proposer has no approve button
    # the second admin sees the buttons and approves
    client.force_login(jx_admin2)
    queue = client.get("/observations/changes/").content.decode()
    assert f"/observations/changes/{change.pk}/do/approve/" in queue
    done = client.post(f"/observations/changes/{change.pk}/do/approve/", {"comment": ""})
    assert done.status_code == 302
    station.refresh_from_db()
    assert station.name_en == "Xiushui observation well"
    history = client.get("/observations/stations/JX-XS/").content.decode()
    assert "Xiushui observation well" in history


def test_proposal_form_is_403_for_a_non_admin(client, jx_viewer, station):
    client.force_login(jx_viewer)
    assert client.get("/observations/changes/new/?target=station&action=create").status_code == 403


def test_new_station_form_shows_field_errors(client, jx_admin, station):
    client.force_login(jx_admin)
    response = client.post(
        "/observations/changes/new/",
        {
            "target": "station",
            "action": "create",
            "code": "JX-XS",
            "name_zh": "重复",
            "lon": "115.5",
            "lat": "28.2",
            "kind": "well",
            "reason": "重复代码",
        },
    )
    assert response.status_code == 200
    assert "JX-XS" in response.content.decode()
    assert Station.objects.filter(code="JX-XS").count() == 1
    assert MasterDataChange.objects.filter(proposed_by=jx_admin).count() == 0


def test_reporting_unit_links_to_its_station(client, jx, jx_admin, station, disciplines):
    from tests.factories import ReportingUnitFactory

    ReportingUnitFactory(
        bureau=jx, code="JX-FL-01", name="修水流体井", discipline=disciplines["fluid"], station=station
    )
    client.force_login(jx_admin)
    page = client.get("/disciplines/units/").content.decode()
    assert station.get_absolute_url() in page


def test_pages_speak_chinese_by_default(client, jx_admin, station):
    client.force_login(jx_admin)
    page = client.get("/observations/stations/JX-XS/").content.decode()
    assert "主数据历史" in page
    assert "提议修改" in page
    assert "台站分布图与列表" in client.get("/").content.decode()
