"""The FDSN event service: filters, formats, errors per the specification, visibility, ObsPy's client."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from catalog.models import EventStatus, ReportKind
from catalog.services.events import Solution, event_record_solution

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
Q = "/fdsnws/event/1/query"


def add(
    bureau,
    *,
    hours=0,
    lat=28.0,
    lon=115.0,
    mag=3.0,
    depth=10.0,
    publish=True,
    automatic=False,
    place="江西宜春",
):
    event, _created, _changed = event_record_solution(
        bureau=bureau,
        solution=Solution(
            origin_time=T0 + timedelta(hours=hours),
            latitude=lat,
            longitude=lon,
            depth_km=depth,
            magnitude=mag,
            magnitude_type="ML",
            location_name=place,
            source=bureau.code,
            status=EventStatus.AUTOMATIC if automatic else EventStatus.REVIEWED,
            report_kind=ReportKind.AUTOMATIC if automatic else ReportKind.CATALOG,
        ),
        data_origin="manual",
        publish=publish,
    )
    return event


@pytest.fixture
def catalog(jx):
    return [
        add(jx, hours=0, mag=2.0),
        add(jx, hours=1, lat=29.0, mag=4.5, depth=30),
        add(jx, hours=2, lat=25.0, lon=110.0, mag=3.5),
        add(jx, hours=3, mag=5.0, publish=False, automatic=True, lat=27.0),
    ]


def content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def text_ids(response) -> list[str]:
    return [line.split("|")[0] for line in content(response).decode().splitlines()[1:]]


@pytest.mark.django_db
def test_text_query_filters_and_orders(client, catalog):
    response = client.get(Q, {"format": "text", "minmag": 3, "orderby": "magnitude"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = content(response).decode().splitlines()
    assert [line.split("|")[0] for line in lines[1:]] == [catalog[1].public_id, catalog[2].public_id]
    header, first = lines[:2]
    assert header.startswith("#EventID|Time|Latitude|Longitude|Depth/km")
    assert first.split("|")[1:5] == ["2024-05-01T13:00:00", "29.0", "115.0", "30.0"]


@pytest.mark.django_db
def test_box_time_depth_limit_offset(client, catalog):
    box = {"format": "text", "minlat": 27.5, "maxlat": 29.5, "minlon": 114, "maxlon": 116}
    assert text_ids(client.get(Q, box)) == [catalog[1].public_id, catalog[0].public_id]
    assert text_ids(client.get(Q, {**box, "maxdepth": 20})) == [catalog[0].public_id]
    assert text_ids(client.get(Q, {**box, "orderby": "time-asc", "limit": 1, "offset": 2})) == [
        catalog[1].public_id
    ]
    assert text_ids(
        client.get(Q, {"format": "text", "start": "2024-05-01T12:30:00", "end": "2024-05-01T13:30"})
    ) == [catalog[1].public_id]


@pytest.mark.django_db
def test_radius_in_degrees(client, catalog):
    # catalog[1] is 1.0 deg north of (28, 115); catalog[2] is about 6 deg away
    found = text_ids(client.get(Q, {"format": "text", "lat": 28, "lon": 115, "maxradius": 1.01}))
    assert found == [catalog[1].public_id, catalog[0].public_id]
    assert text_ids(client.get(Q, {"format": "text", "lat": 28, "lon": 115, "maxradius": 0.99})) == [
        catalog[0].public_id
    ]


@pytest.mark.django_db
def test_eventid_magnitudetype_and_updatedafter(client, catalog):
    assert text_ids(client.get(Q, {"format": "text", "eventid": catalog[2].public_id})) == [
        catalog[2].public_id
    ]
    assert client.get(Q, {"format": "text", "magnitudetype": "Mw"}).status_code == 204
    future = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    assert client.get(Q, {"updatedafter": future}).status_code == 204


@pytest.mark.django_db
def test_nodata_204_or_404(client, catalog):
    assert client.get(Q, {"minmag": 9}).status_code == 204
    assert client.get(Q, {"minmag": 9, "nodata": 404}).status_code == 404


@pytest.mark.parametrize(
    ("params", "status", "named"),
    [
        ({"bogus": 1}, 400, "bogus"),
        ({"starttime": "2024-05-02", "endtime": "2024-05-01"}, 400, "starttime"),
        ({"minlatitude": 91}, 400, "minlatitude"),
        ({"maxlongitude": "east"}, 400, "maxlongitude"),
        ({"format": "csv"}, 400, "format"),
        ({"orderby": "depth"}, 400, "orderby"),
    ],
)
@pytest.mark.django_db
def test_errors_are_plain_ascii_naming_the_parameter(client, params, status, named):
    response = client.get(Q, params)
    assert response.status_code == status
    body = response.content.decode("ascii")
    assert body.startswith(f"Error {status}")
    assert named in body.splitlines()[2]


@pytest.mark.parametrize(
    "params",
    [{}, {"limit": 3}, {"limit": 10**9}, {"minmag": 2.0}, {"format": "geojson"}],
    ids=["no-limit", "limit-3", "limit-1e9", "filtered", "geojson"],
)
@pytest.mark.django_db
def test_a_result_over_the_maximum_is_413_naming_the_count(client, catalog, settings, params):
    # given: three published events and a maximum of two per answer
    settings.CATALOG_FDSN_MAX_EVENTS = 2
    # when
    response = client.get(Q, {"format": "text", **params})
    # then: refused whether or not a limit was given, with the count, in ASCII
    assert response.status_code == 413
    assert response["Content-Type"] == "text/plain; charset=us-ascii"
    body = response.content.decode("ascii")
    assert body.startswith("Error 413")
    assert "the query would return 3 events, more than the maximum of 2 per request" in body


@pytest.mark.django_db
def test_the_count_in_the_413_is_what_the_caller_may_see(api, catalog, settings, jx_forecaster):
    settings.CATALOG_FDSN_MAX_EVENTS = 3
    response = api(jx_forecaster).get(Q, {"format": "text"})
    assert response.status_code == 413
    assert "would return 4 events, more than the maximum of 3" in response.content.decode("ascii")


@pytest.mark.parametrize(
    ("maximum", "params", "expected"),
    [
        (3, {}, [0, 1, 2]),
        (3, {"limit": 10**9}, [0, 1, 2]),
        (2, {"limit": 2}, [0, 1]),
        (2, {"limit": 5, "offset": 2}, [1, 2]),
        (2, {"offset": 2}, [1, 2]),
        (2, {"minmag": 3.5}, [1, 2]),
    ],
)
@pytest.mark.django_db
def test_a_result_within_the_maximum_is_complete(client, catalog, settings, maximum, params, expected):
    settings.CATALOG_FDSN_MAX_EVENTS = maximum
    response = client.get(Q, {"format": "text", "orderby": "time-asc", **params})
    assert response.status_code == 200
    assert text_ids(response) == [catalog[i].public_id for i in expected]


@pytest.mark.django_db
def test_unpublished_events_only_for_their_bureau(client, api, catalog, jx_forecaster, nm_forecaster):
    hidden = catalog[3].public_id
    assert hidden not in text_ids(client.get(Q, {"format": "text"}))
    assert hidden not in text_ids(api(nm_forecaster).get(Q, {"format": "text"}))
    assert api(nm_forecaster).get(Q, {"eventid": hidden}).status_code == 204
    assert hidden in text_ids(api(jx_forecaster).get(Q, {"format": "text"}))
    client.force_login(jx_forecaster)
    assert hidden in text_ids(client.get(Q, {"format": "text"}))


@pytest.mark.django_db
def test_geojson_is_a_usgs_feature_collection(client, catalog):
    data = json.loads(b"".join(client.get(Q, {"format": "geojson", "minmag": 4}).streaming_content))
    assert data["type"] == "FeatureCollection"
    assert data["metadata"]["count"] == 1
    feature = data["features"][0]
    assert feature["geometry"]["coordinates"] == [115.0, 29.0, 30.0]
    assert (feature["properties"]["mag"], feature["properties"]["magType"]) == (4.5, "ML")
    assert feature["properties"]["time"] == int((T0 + timedelta(hours=1)).timestamp() * 1000)


@pytest.mark.django_db
def test_all_origins_serve_the_versions(client, jx):
    import obspy

    first = add(jx, automatic=True, publish=True, mag=4.0)
    add(jx, mag=4.3, lat=28.02)  # the formal solution: same quake, new version
    data = b"".join(
        client.get(Q, {"includeallorigins": "true", "includeallmagnitudes": "true"}).streaming_content
    )
    (event,) = obspy.read_events(io.BytesIO(data), format="QUAKEML")
    assert len(event.origins) == 2
    assert [m.mag for m in event.magnitudes] == [4.0, 4.3]
    assert event.preferred_magnitude().mag == 4.3
    assert str(event.resource_id).endswith(first.public_id)
    plain = b"".join(client.get(Q).streaming_content)
    (event,) = obspy.read_events(io.BytesIO(plain), format="QUAKEML")
    assert (len(event.origins), len(event.magnitudes)) == (1, 1)


@pytest.mark.django_db
def test_count_version_wadl_catalogs(client, catalog):
    assert client.get("/fdsnws/event/1/count", {"minmag": 3}).content == b"2\n"
    assert client.get("/fdsnws/event/1/version").content == b"1.2.0"
    assert b'<method name="GET" id="query">' in client.get("/fdsnws/event/1/application.wadl").content
    assert b"<Catalog>JX</Catalog>" in client.get("/fdsnws/event/1/catalogs").content
    assert client.get("/fdsnws/event/1/count", {"minlat": 100}).status_code == 400


@pytest.mark.django_db(transaction=True)
def test_obspy_client_reads_xml_and_text(asgi_server, jx):
    import obspy
    from obspy.clients.fdsn import Client

    # given
    strong = add(jx, hours=1, lat=29.0, mag=4.5, depth=30)
    add(jx, hours=0, mag=2.0)
    add(jx, hours=2, mag=6.0, publish=False)  # not for anonymous programs
    client = Client(base_url=asgi_server, _discover_services=True)
    # when: QuakeML (the client's default)
    catalog = client.get_events(starttime=obspy.UTCDateTime(T0 - timedelta(days=1)), minmagnitude=3)
    # then
    assert len(catalog) == 1
    event = catalog[0]
    assert event.preferred_origin().depth == 30000.0  # metres in QuakeML
    assert event.preferred_magnitude().mag == 4.5
    assert str(event.resource_id).endswith(strong.public_id)
    # when: FDSN text through the same client, parsed by ObsPy's EVENTTXT reader
    buffer = io.BytesIO()
    client.get_events(
        latitude=28, longitude=115, maxradius=2, orderby="time-asc", format="text", filename=buffer
    )
    text_catalog = obspy.read_events(io.StringIO(buffer.getvalue().decode("utf-8")), format="EVENTTXT")
    assert [round(e.magnitudes[0].mag, 1) for e in text_catalog] == [2.0, 4.5]
    assert [e.origins[0].depth for e in text_catalog] == [10000.0, 30000.0]
    # a bad parameter through the client: FDSN 400 with the parameter named
    from obspy.clients.fdsn.header import FDSNBadRequestException

    with pytest.raises(FDSNBadRequestException, match="minlatitude"):
        client.get_events(minlatitude=-100)
