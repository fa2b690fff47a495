"""Stations and channels through the API: lookups by code and id, filters, and who reads
what (a province its own; national units every bureau's; nobody another province's)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def network(jx, nm, make_station, make_channel):
    xs = make_station(jx, "JX-XS", kind="well")
    fz = make_station(jx, "JX-FZ", kind="geomagnetic", lon=116.36, lat=27.95)
    tl = make_station(nm, "NM-TL", kind="well", lon=122.24, lat=43.65)
    channels = {
        "xs_wl": make_channel(xs, "WL", plausible_min=-50, plausible_max=50),
        "xs_wt": make_channel(xs, "WT"),
        "fz_h": make_channel(fz, "GM_H"),
        "tl_wl": make_channel(tl, "WL"),
    }
    return {"xs": xs, "fz": fz, "tl": tl, **channels}


def _codes(body):
    return [row["code"] for row in body["results"]]


def test_station_lookup_by_code_with_channels_and_instruments(api, jx_viewer, network):
    # when
    response = api(jx_viewer).get("/api/v1/stations/JX-XS/")
    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["code"], body["bureau"], body["kind"], body["status"]) == ("JX-XS", "JX", "well", "active")
    assert [(c["item"], c["unit"], c["interval"]) for c in body["channels"]] == [
        ("WL", "m", 60),
        ("WT", "°C", 60),
    ]
    assert body["channels"][0]["plausible_min"] == -50
    assert body["instruments"] == []


def test_station_list_filters(api, jx_viewer, network):
    client = api(jx_viewer)
    assert _codes(client.get("/api/v1/stations/").json()) == ["JX-FZ", "JX-XS"]
    assert _codes(client.get("/api/v1/stations/", {"kind": "geomagnetic"}).json()) == ["JX-FZ"]
    assert _codes(client.get("/api/v1/stations/", {"discipline": "fluid"}).json()) == ["JX-XS"]
    assert _codes(client.get("/api/v1/stations/", {"status": "closed"}).json()) == []
    assert client.get("/api/v1/stations/", {"kind": "volcano"}).status_code == 400


def test_a_province_does_not_read_another_provinces_stations(api, nm_admin, jx_viewer, network):
    assert _codes(api(nm_admin).get("/api/v1/stations/").json()) == ["NM-TL"]
    assert api(nm_admin).get("/api/v1/stations/JX-XS/").status_code == 404
    assert api(nm_admin).get(f"/api/v1/channels/{network['xs_wl'].pk}/").status_code == 404
    assert api(jx_viewer).get(f"/api/v1/channels/{network['tl_wl'].pk}/").status_code == 404


def test_national_units_read_every_bureaus_stations_and_channels(api, cenc_forecaster, network):
    client = api(cenc_forecaster)
    assert _codes(client.get("/api/v1/stations/").json()) == ["JX-FZ", "JX-XS", "NM-TL"]
    assert _codes(client.get("/api/v1/stations/", {"bureau": "NM"}).json()) == ["NM-TL"]
    assert client.get("/api/v1/stations/JX-XS/").status_code == 200
    assert client.get(f"/api/v1/channels/{network['tl_wl'].pk}/").status_code == 200


def test_national_units_do_not_read_a_provinces_change_queue(api, cenc_forecaster, jx_admin, network):
    from observations.models import MasterDataChange

    assert MasterDataChange.objects.filter(bureau__code="JX").exists()
    assert api(cenc_forecaster).get("/api/v1/master-data/changes/").json()["results"] == []


def test_channel_filters(api, jx_viewer, cenc_forecaster, network):
    client = api(jx_viewer)

    def ids(params):
        response = client.get("/api/v1/channels/", params)
        assert response.status_code == 200, response.json()
        return sorted(row["id"] for row in response.json()["results"])

    xs_wl, xs_wt, fz_h = network["xs_wl"].pk, network["xs_wt"].pk, network["fz_h"].pk
    assert ids({}) == sorted([xs_wl, xs_wt, fz_h])
    assert ids({"station": "JX-XS"}) == sorted([xs_wl, xs_wt])
    assert ids({"station": str(network["fz"].pk)}) == [fz_h]
    assert ids({"item": "WL"}) == [xs_wl]
    assert ids({"discipline": "electromagnetism"}) == [fz_h]
    assert ids({"bureau": "NM"}) == []
    national = api(cenc_forecaster).get("/api/v1/channels/", {"bureau": "NM", "item": "WL"}).json()
    assert [row["id"] for row in national["results"]] == [network["tl_wl"].pk]


def test_channel_detail(api, jx_viewer, network):
    response = api(jx_viewer).get(f"/api/v1/channels/{network['xs_wl'].pk}/")
    assert response.status_code == 200
    body = response.json()
    assert (body["station"], body["item"], body["discipline"], body["unit"]) == ("JX-XS", "WL", "fluid", "m")


def test_unknown_and_malformed_codes_are_404(api, jx_viewer, network):
    assert api(jx_viewer).get("/api/v1/stations/NOPE/").status_code == 404
    assert api(jx_viewer).get("/api/v1/stations/%20x%20/").status_code == 404


def test_items_list(api, jx_viewer):
    body = api(jx_viewer).get("/api/v1/observation-items/").json()
    assert {"code": "WL", "unit": "m", "discipline": "fluid"}.items() <= next(
        row for row in body["results"] if row["code"] == "WL"
    ).items()


def test_anonymous_is_401(api, network):
    assert api().get("/api/v1/stations/").status_code == 401
