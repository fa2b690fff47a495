"""The channel of an anomaly: named in the report (API and form, only the reporter's bureau's
active channels), and the anomaly page's curve around the onset (its own channel, or the
station's one channel of the item; nothing to a reader who may not read the values)."""

from __future__ import annotations

import datetime as dt
import re
from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from disciplines.models import Anomaly
from observations.services.series_store import series_write
from tests.observations.factories import ChannelFactory, StationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def jx_well(jx):
    return StationFactory(bureau=jx, code="JX-XS")


@pytest.fixture
def jx_wl(jx_well):
    return ChannelFactory(station=jx_well)


@pytest.fixture
def nm_wl(nm):
    return ChannelFactory(station=StationFactory(bureau=nm, code="NM-TL"))


def _body(**extra):
    return {
        "source": "expert",
        "discipline": "fluid",
        "observation_item": "水位",
        "onset_at": (timezone.now() - timedelta(days=2)).isoformat(),
        "description": "水位趋势转折",
        **extra,
    }


def test_api_stores_the_channel_and_names_the_station_after_it(api, jx_expert, jx_wl):
    created = api(jx_expert).post("/api/v1/anomalies/", _body(channel=jx_wl.pk), format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["channel"] == jx_wl.pk
    assert body["station"] == "JX-XS 台站JX-XS"
    assert body["location"]["coordinates"] == [115.9, 28.7]
    detail = api(jx_expert).get(f"/api/v1/anomalies/{body['id']}/")
    assert detail.json()["channel"] == jx_wl.pk


@pytest.mark.parametrize("which", ["other bureau", "missing", "closed"])
def test_api_refuses_a_channel_not_of_the_bureau_with_400_naming_channel(api, jx_expert, jx_wl, nm_wl, which):
    if which == "closed":
        jx_wl.is_active = False
        jx_wl.save(update_fields=["is_active"])
    channel = {"other bureau": nm_wl.pk, "missing": 999_999, "closed": jx_wl.pk}[which]
    response = api(jx_expert).post(
        "/api/v1/anomalies/", _body(station="修水", channel=channel), format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["channel"]
    assert Anomaly.objects.count() == 0


def test_api_checks_the_right_before_the_channel(api, jx_reporter, nm_wl):
    response = api(jx_reporter).post("/api/v1/anomalies/", _body(channel=nm_wl.pk), format="json")
    assert response.status_code == 403


def test_the_service_refuses_another_bureaus_channel_whoever_calls_it(
    as_actor, jx_expert, nm_wl, disciplines
):
    from disciplines.services.anomalies import anomaly_create_record
    from portal.exceptions import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        anomaly_create_record(
            actor=as_actor(jx_expert),
            source="expert",
            discipline=disciplines["fluid"],
            observation_item="水位",
            onset_at=timezone.now() - timedelta(days=1),
            description="x",
            station="x",
            channel=nm_wl,
        )
    assert refused.value.field == "channel"


def test_form_offers_only_the_bureaus_channels_and_stores_the_chosen_one(client, jx_expert, jx_wl, nm_wl):
    client.force_login(jx_expert)
    page = client.get("/disciplines/anomalies/new/").content.decode()
    options = set(re.findall(r'<option value="(\d+)"', page.split('name="channel"')[1].split("</select>")[0]))
    assert options == {str(jx_wl.pk)}
    assert '<optgroup label="JX-XS Station JX-XS">' in page  # the tests run in English
    form = {
        "source": "expert",
        "discipline": "fluid",
        "station": "",
        "observation_item": "水位",
        "onset_at": (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "description": "水位趋势转折",
    }
    refused = client.post("/disciplines/anomalies/new/", {**form, "channel": nm_wl.pk})
    assert refused.status_code == 200
    assert Anomaly.objects.count() == 0
    created = client.post("/disciplines/anomalies/new/", {**form, "channel": jx_wl.pk})
    assert created.status_code == 302
    assert Anomaly.objects.get().channel == jx_wl


def _samples(channel, days: int = 100) -> None:
    end = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    values = np.linspace(0, 1, days * 1440).astype(np.float32)
    series_write(channel=channel, start=end - timedelta(days=days), values=values, actor=None)


def test_detail_page_draws_the_channel_around_the_onset(client, api, jx_expert, jx_wl):
    _samples(jx_wl)
    onset = timezone.now() - timedelta(days=10)
    anomaly_id = (
        api(jx_expert)
        .post("/api/v1/anomalies/", _body(channel=jx_wl.pk, onset_at=onset.isoformat()), format="json")
        .json()["id"]
    )
    client.force_login(jx_expert)
    page = client.get(f"/disciplines/anomalies/{anomaly_id}/").content.decode()
    assert f'data-channel="{jx_wl.pk}"' in page
    utc = onset.astimezone(dt.UTC)
    assert f'data-onset="{utc:%Y-%m-%dT%H:%M:%SZ}"' in page
    assert f'data-start="{utc - timedelta(days=60):%Y-%m-%dT%H:%M:%SZ}"' in page
    # onset + 30 days is in the future: the window ends now (to the minute of the request)
    end = re.search(r'data-end="([^"]+)"', page).group(1)
    assert abs(dt.datetime.fromisoformat(end) - timezone.now()) < timedelta(minutes=1)
    assert "vendor/uplot/uPlot.iife.min.js" in page


def test_a_unit_at_a_station_stands_in_with_its_one_channel_of_the_item(
    client, reported, jx_fluid_unit, jx_expert, jx_well, jx_wl
):
    _samples(jx_wl, days=5)
    jx_fluid_unit.station = jx_well
    jx_fluid_unit.save(update_fields=["station"])
    anomaly = reported()  # a zero-report's anomaly: "水位", no channel of its own
    assert anomaly.channel is None
    client.force_login(jx_expert)
    page = client.get(f"/disciplines/anomalies/{anomaly.pk}/").content.decode()
    assert f'data-channel="{jx_wl.pk}"' in page
    # a second water level at the station makes the item ambiguous: no curve
    ChannelFactory(station=jx_well, orientation="B")
    page = client.get(f"/disciplines/anomalies/{anomaly.pk}/").content.decode()
    assert 'id="anomaly-curve"' not in page


def test_no_values_to_read_says_so_instead_of_an_empty_plot(client, api, jx_expert, jx_wl):
    anomaly_id = (
        api(jx_expert).post("/api/v1/anomalies/", _body(channel=jx_wl.pk), format="json").json()["id"]
    )
    client.force_login(jx_expert)
    page = client.get(f"/disciplines/anomalies/{anomaly_id}/").content.decode()
    assert 'id="anomaly-curve-missing"' in page
    assert "series-plot" not in page.split('id="anomaly-curve"')[1].split("</section>")[0]


def test_demo_anomalies_of_station_units_are_linked_to_their_channel():
    import io

    from disciplines import demo
    from portal import demo as portal_demo

    portal_demo.load_disciplines()
    portal_demo.load_bureaus()
    portal_demo.load_demo_people()
    out = io.StringIO()
    demo.seed(out)  # seeds the stations first: the units that are stations link to them
    water_level = Anomaly.objects.get(bureau__code="JX", unit__code="JX-FL-01", observation_item="水位")
    assert (water_level.channel.station.code, water_level.channel.item.code) == ("JX-XS", "WL")
    temperature = Anomaly.objects.get(bureau__code="JX", unit__code="JX-FL-01", observation_item="水温")
    assert (temperature.channel.station.code, temperature.channel.item.code) == ("JX-XS", "WT")
    # the macroscopic reports (井水异常 at a macro point) have no channel
    assert Anomaly.objects.get(bureau__code="JX", observation_item="井水异常").channel is None
    # JX: the water level and temperature of JX-XS, the temperature of JX-YC (JX-FL-02)
    assert "5 new anomalies, 3 linked to their channel\n" in out.getvalue()


def test_the_system_admin_sees_the_curve_but_no_link_to_the_bureaus_channel_page(
    client, api, make_person, jx_expert, jx_wl
):
    _samples(jx_wl, days=5)
    anomaly_id = (
        api(jx_expert).post("/api/v1/anomalies/", _body(channel=jx_wl.pk), format="json").json()["id"]
    )
    client.force_login(make_person("root", superuser=True))
    page = client.get(f"/disciplines/anomalies/{anomaly_id}/").content.decode()
    assert f'data-channel="{jx_wl.pk}"' in page
    assert jx_wl.get_absolute_url() not in page  # the channel pages are for people of a bureau (403)
    assert client.get(jx_wl.get_absolute_url()).status_code == 403
