import warnings
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from lxml import etree
from obspy import UTCDateTime
from obspy.clients.fdsn import Client
from obspy.clients.fdsn.client import parse_simple_xml
from obspy.clients.fdsn.header import DEFAULT_EVENT_PARAMETERS, OPTIONAL_EVENT_PARAMETERS
from obspy.clients.fdsn.wadl_parser import WADLParser

from catalog.fdsn_params import (
    PARAMETERS,
    FdsnParamError,
    FdsnQuery,
    application_wadl,
    catalogs_xml,
    contributors_xml,
    error_body,
    parse_fdsn_query,
)

BASE = "http://testserver/fdsnws/event/1/"


def parse(params, **kwargs):
    return parse_fdsn_query(params, max_limit=kwargs.pop("max_limit", 20_000), **kwargs)


def test_no_parameters_gives_the_defaults():
    assert parse({}) == FdsnQuery()
    assert FdsnQuery().offset == 1
    assert FdsnQuery().format == "xml"
    assert FdsnQuery().nodata == 204


def test_every_parameter_is_parsed_to_its_type():
    query = parse(
        {
            "starttime": ["2017-12-01T00:00:00"],
            "endtime": ["2017-12-31T23:59:59.5"],
            "minlatitude": ["20"],
            "maxlatitude": ["40.5"],
            "minlongitude": ["100"],
            "maxlongitude": ["120"],
            "mindepth": ["0"],
            "maxdepth": ["30"],
            "minmagnitude": ["2.5"],
            "maxmagnitude": ["7"],
            "magnitudetype": ["ML"],
            "eventtype": ["earthquake,explosion"],
            "includeallorigins": ["true"],
            "includeallmagnitudes": ["TRUE"],
            "includearrivals": ["false"],
            "eventid": ["42"],
            "limit": ["100"],
            "offset": ["11"],
            "orderby": ["magnitude-asc"],
            "catalog": ["CENC"],
            "contributor": ["JX"],
            "updatedafter": ["2017-12-15"],
            "format": ["geojson"],
            "nodata": ["404"],
        }
    )

    assert query == FdsnQuery(
        starttime=datetime(2017, 12, 1, tzinfo=UTC),
        endtime=datetime(2017, 12, 31, 23, 59, 59, 500000, tzinfo=UTC),
        minlatitude=20.0,
        maxlatitude=40.5,
        minlongitude=100.0,
        maxlongitude=120.0,
        mindepth=0.0,
        maxdepth=30.0,
        minmagnitude=2.5,
        maxmagnitude=7.0,
        magnitudetype="ML",
        eventtype=("earthquake", "explosion"),
        includeallorigins=True,
        includeallmagnitudes=True,
        includearrivals=False,
        eventid="42",
        limit=100,
        offset=11,
        orderby="magnitude-asc",
        catalog="CENC",
        contributor="JX",
        updatedafter=datetime(2017, 12, 15, tzinfo=UTC),
        format="geojson",
        nodata=404,
    )
    assert query.start_index == 10
    assert query.has_box is True
    assert query.has_radius is False


@pytest.mark.parametrize(
    ("alias", "name", "raw", "value"),
    [
        ("start", "starttime", "2020-01-01", datetime(2020, 1, 1, tzinfo=UTC)),
        ("end", "endtime", "2020-01-02", datetime(2020, 1, 2, tzinfo=UTC)),
        ("minlat", "minlatitude", "10", 10.0),
        ("maxlat", "maxlatitude", "20", 20.0),
        ("minlon", "minlongitude", "30", 30.0),
        ("maxlon", "maxlongitude", "40", 40.0),
        ("lat", "latitude", "28.1", 28.1),
        ("lon", "longitude", "115", 115.0),
        ("minmag", "minmagnitude", "3", 3.0),
        ("maxmag", "maxmagnitude", "8", 8.0),
        ("magtype", "magnitudetype", "Ms", "Ms"),
    ],
)
def test_aliases(alias, name, raw, value):
    query = parse({alias: raw})

    assert getattr(query, name) == value


def test_radius_search():
    query = parse({"lat": "28.1", "lon": "115.0", "maxradius": "2.5"})

    assert query.has_radius is True
    assert query.radius_centre == (28.1, 115.0)
    assert query.maxradius == 2.5


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2020-01-02T03:04:05", datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2020-01-02T03:04:05.123456", datetime(2020, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)),
        ("2020-01-02T03:04:05.1", datetime(2020, 1, 2, 3, 4, 5, 100000, tzinfo=UTC)),
        ("2020-01-02T03:04:05Z", datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2020-01-02 03:04:05", datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2020-01-02T03:04", datetime(2020, 1, 2, 3, 4, tzinfo=UTC)),
        ("2020-01-02", datetime(2020, 1, 2, tzinfo=UTC)),
    ],
)
def test_time_formats(raw, expected):
    assert parse({"starttime": raw}).starttime == expected


def test_box_across_the_antimeridian_is_allowed():
    query = parse({"minlon": "170", "maxlon": "-170"})

    assert query.crosses_antimeridian is True


def test_box_and_radius_can_be_allowed_explicitly():
    query = parse({"minlat": "10", "lat": "20", "maxradius": "5"}, allow_box_and_radius=True)

    assert (query.has_box, query.has_radius) == (True, True)


def test_parameter_names_are_case_insensitive():
    assert parse({"MinMag": "4"}).minmagnitude == 4.0


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("params", "param", "message"),
    [
        ({"foo": "1"}, "foo", "unknown parameter 'foo'"),
        ({"starttime": "yesterday"}, "starttime", "starttime: 'yesterday' is not a valid time"),
        ({"endtime": "2020-02-30"}, "endtime", "endtime: '2020-02-30' is not a valid time"),
        ({"updatedafter": "2020/01/01"}, "updatedafter", "updatedafter: '2020/01/01' is not"),
        ({"minlat": "abc"}, "minlatitude", "minlatitude: 'abc' is not a number"),
        ({"minlat": "nan"}, "minlatitude", "minlatitude: 'nan' is not a number"),
        ({"maxlat": "91"}, "maxlatitude", "maxlatitude: 91 is out of range -90 to 90"),
        ({"minlatitude": "-90.5"}, "minlatitude", "minlatitude: -90.5 is out of range"),
        ({"lat": "100"}, "latitude", "latitude: 100 is out of range -90 to 90"),
        ({"minlon": "-181"}, "minlongitude", "minlongitude: -181 is out of range -180 to 180"),
        ({"lon": "200"}, "longitude", "longitude: 200 is out of range"),
        ({"maxradius": "181"}, "maxradius", "maxradius: 181 is out of range 0 to 180"),
        ({"minradius": "-1"}, "minradius", "minradius: -1 is out of range 0 to 180"),
        ({"mindepth": "x"}, "mindepth", "mindepth: 'x' is not a number"),
        ({"minmag": "x"}, "minmagnitude", "minmagnitude: 'x' is not a number"),
        (
            {"includeallorigins": "maybe"},
            "includeallorigins",
            "includeallorigins: 'maybe' is not true or false",
        ),
        ({"includearrivals": "true"}, "includearrivals", "includearrivals: true is not supported"),
        ({"limit": "0"}, "limit", "limit: must be 1 or more, got 0"),
        ({"limit": "ten"}, "limit", "limit: 'ten' is not a whole number"),
        ({"offset": "0"}, "offset", "offset: must be 1 or more"),
        ({"orderby": "depth"}, "orderby", "orderby: 'depth' is not one of time, time-asc"),
        ({"format": "csv"}, "format", "format: 'csv' is not one of xml, text, geojson"),
        ({"nodata": "500"}, "nodata", "nodata: '500' is not one of 204, 404"),
        ({"eventtype": ","}, "eventtype", "eventtype: empty value"),
        ({"minmag": ""}, "minmagnitude", "minmagnitude: empty value"),
        ({"minmag": ["3", "4"]}, "minmagnitude", "minmagnitude: given 2 times"),
        (
            {"start": "2020-01-01", "starttime": "2020-01-01"},
            "starttime",
            "starttime: given twice (as 'start' and 'starttime')",
        ),
        (
            {"start": "2020-02-01", "end": "2020-01-01"},
            "starttime",
            "starttime (2020-02-01T00:00:00) is after endtime (2020-01-01T00:00:00)",
        ),
        ({"minlat": "40", "maxlat": "30"}, "minlatitude", "minlatitude (40) is greater than"),
        ({"minradius": "5", "maxradius": "1"}, "minradius", "minradius (5) is greater than"),
        ({"mindepth": "50", "maxdepth": "10"}, "mindepth", "mindepth (50) is greater than"),
        ({"minmag": "6", "maxmag": "5"}, "minmagnitude", "minmagnitude (6) is greater than"),
        (
            {"minlat": "10", "lat": "20", "maxradius": "5"},
            "maxradius",
            "a box (minlatitude/maxlatitude/minlongitude/maxlongitude) and a radius",
        ),
    ],
)
def test_bad_parameters_are_named_with_status_400(params, param, message):
    with pytest.raises(FdsnParamError) as caught:
        parse(params)

    assert caught.value.param == param
    assert caught.value.status == 400
    assert caught.value.message.startswith(message)
    assert caught.value.message.isascii()


def test_limit_above_maximum_is_413():
    with pytest.raises(FdsnParamError) as caught:
        parse({"limit": "20001"}, max_limit=20_000)

    assert (caught.value.param, caught.value.status) == ("limit", 413)
    assert caught.value.message == "limit: 20001 is more than the maximum of 20000"


def test_non_ascii_input_is_escaped_in_the_message():
    with pytest.raises(FdsnParamError) as caught:
        parse({"starttime": "昨天"})

    assert caught.value.message.isascii()


# ------------------------------------------------------------------ WADL and lists


def test_wadl_lists_every_parameter_as_obspy_reads_it():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # ObsPy warns about missing standard parameters
        parsed = WADLParser(application_wadl(BASE).encode()).parameters

    standard = set(DEFAULT_EVENT_PARAMETERS) | set(OPTIONAL_EVENT_PARAMETERS) | {"format"}
    assert set(parsed) == standard
    assert parsed["starttime"]["type"] is UTCDateTime
    assert parsed["updatedafter"]["type"] is UTCDateTime
    assert parsed["minlatitude"]["type"] is float
    assert parsed["limit"]["type"] is int
    assert parsed["includeallorigins"]["type"] is bool
    assert parsed["includeallorigins"]["default_value"] is False
    assert parsed["orderby"]["options"] == ["time", "time-asc", "magnitude", "magnitude-asc"]
    assert parsed["format"]["options"] == ["xml", "text", "geojson"]


def test_wadl_query_method_carries_all_parameters_including_nodata():
    root = etree.fromstring(application_wadl(BASE).encode())
    ns = {"w": "http://wadl.dev.java.net/2009/02"}

    params = root.xpath("//w:method[@name='GET'][@id='query']/w:request/w:param", namespaces=ns)

    assert [p.get("name") for p in params] == [p.name for p in PARAMETERS]
    assert {p.get("style") for p in params} == {"query"}
    assert {p.get("type") for p in params} == {
        "xs:date",
        "xs:double",
        "xs:int",
        "xs:boolean",
        "xs:string",
    }
    assert "nodata" in [p.get("name") for p in params]
    assert root.xpath("/w:application/w:resources/@base", namespaces=ns) == [BASE]


def test_obspy_client_builds_urls_we_parse():
    # given: a client that learnt the service from our WADL
    client = Client("http://testserver", _discover_services=False)
    client.services = {"event": WADLParser(application_wadl(BASE).encode()).parameters}

    # when
    url = client._create_url_from_parameters(
        "event",
        DEFAULT_EVENT_PARAMETERS,
        {
            "starttime": UTCDateTime(2020, 1, 2, 3, 4, 5, 600000),
            "endtime": UTCDateTime(2020, 2, 1),
            "minlatitude": 20.0,
            "maxlatitude": 40.0,
            "minmagnitude": 3,
            "includeallorigins": True,
            "eventtype": "earthquake",
            "limit": 10,
            "orderby": "time-asc",
        },
    )
    params = parse_qs(urlsplit(url).query)

    # then
    query = parse(params)
    assert query.starttime == datetime(2020, 1, 2, 3, 4, 5, 600000, tzinfo=UTC)
    assert query.endtime == datetime(2020, 2, 1, tzinfo=UTC)
    assert (query.minlatitude, query.maxlatitude, query.minmagnitude) == (20.0, 40.0, 3.0)
    assert query.includeallorigins is True
    assert query.eventtype == ("earthquake",)
    assert (query.limit, query.orderby) == (10, "time-asc")


def test_catalogs_and_contributors_documents_parse_in_obspy():
    assert parse_simple_xml(catalogs_xml(["CENC", "JX"]).encode()) == {"catalogs": {"CENC", "JX"}}
    assert parse_simple_xml(contributors_xml(["JX", "A&B"]).encode()) == {"contributors": {"JX", "A&B"}}


def test_error_body_follows_the_fdsn_template_in_ascii():
    body = error_body(
        400,
        "minlatitude: 'abc' is not a number",
        request_url="http://testserver/fdsnws/event/1/query?minlat=abc",
        documentation_url="http://testserver/fdsnws/event/1/",
        submitted=datetime(2024, 1, 1, 12, tzinfo=UTC),
    )

    assert body == (
        "Error 400: Bad Request\n\n"
        "minlatitude: 'abc' is not a number\n\n"
        "Usage details are available from http://testserver/fdsnws/event/1/\n\n"
        "Request:\nhttp://testserver/fdsnws/event/1/query?minlat=abc\n\n"
        "Request Submitted:\n2024-01-01T12:00:00\n\n"
        "Service version:\n1.2.0\n"
    )
