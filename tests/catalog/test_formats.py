import io
import itertools
import json
import tracemalloc
from datetime import UTC, datetime, timedelta, timezone

import obspy
import pytest
from obspy.io.quakeml.core import _validate as validate_quakeml

from catalog.formats import (
    BEIJING,
    EventOut,
    EventRow,
    FocalMechanismOut,
    FormatError,
    MagnitudeOut,
    OriginOut,
    RowError,
    as_event,
    read_csv,
    read_fdsn_text,
    read_quakeml,
    write_fdsn_text,
    write_geojson,
    write_quakeml,
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def rows_and_errors(results):
    results = list(results)
    return (
        [r for r in results if isinstance(r, EventRow)],
        [r for r in results if isinstance(r, RowError)],
    )


# ------------------------------------------------------------------ CSV: CENC

CENC_DATASHARE = (
    "发震日期,发震时刻,纬度(°),经度(°),深度(km),震级,事件类型,参考地点\n"
    "2016-05-29,10:14:37.7,31.5,104.3,13,Ms4.3,天然地震,四川绵阳市安县\n"
    "2016-05-28,17:47:00.9,-56.2,-27.1,70,Ms7.2,天然地震,南桑威奇群岛地区\n"
    "2016-05-27,23:06:33.2,39.85,98.82,15,ML1.2,爆破,甘肃酒泉\n"
)


def test_cenc_datashare_layout_in_gbk_reads_out_of_the_box():
    # given: the CENC export as Excel on Chinese Windows writes it
    data = io.BytesIO(CENC_DATASHARE.encode("gbk"))

    # when
    rows, errors = rows_and_errors(read_csv(data))

    # then
    assert errors == []
    assert [r.origin_time for r in rows] == [
        utc(2016, 5, 29, 2, 14, 37, 700000),
        utc(2016, 5, 28, 9, 47, 0, 900000),
        utc(2016, 5, 27, 15, 6, 33, 200000),
    ]
    assert [(r.magnitude, r.magnitude_type) for r in rows] == [
        (4.3, "Ms"),
        (7.2, "Ms"),
        (1.2, "ML"),
    ]
    assert rows[0].latitude == 31.5
    assert rows[0].longitude == 104.3
    assert rows[0].depth_km == 13.0
    assert rows[0].location_name == "四川绵阳市安县"
    assert [r.event_type for r in rows] == ["earthquake", "earthquake", "explosion"]
    assert [r.line for r in rows] == [2, 3, 4]


def test_cenc_layout_with_magnitude_type_and_value_columns():
    text = (
        "发震日期,发震时刻,纬度(°),经度(°),深度(km),震级类型,震级值,事件类型,参考地点\n"
        "2017-12-21,09:10:00,28.11,115.01,5,ML,2.4,天然地震,江西宜春市上高县\n"
    )

    rows, errors = rows_and_errors(read_csv(io.StringIO(text)))

    assert errors == []
    assert rows[0].origin_time == utc(2017, 12, 21, 1, 10)
    assert (rows[0].magnitude, rows[0].magnitude_type) == (2.4, "ML")


def test_ceic_list_layout_with_utc_plus_8_header():
    text = (
        "震级(M),发震时刻(UTC+8),纬度(°),经度(°),深度(千米),参考位置\n"
        "6.2,2023-12-18 23:59:30,35.70,102.79,10,甘肃临夏州积石山县\n"
    )

    rows, errors = rows_and_errors(read_csv(io.StringIO(text)))

    assert errors == []
    assert rows[0].origin_time == utc(2023, 12, 18, 15, 59, 30)
    assert (rows[0].magnitude, rows[0].magnitude_type) == (6.2, "M")
    assert rows[0].depth_km == 10.0
    assert rows[0].location_name == "甘肃临夏州积石山县"


def test_ceic_raw_json_keys_are_beijing_time():
    text = (
        "CATA_ID,M,O_TIME,EPI_LAT,EPI_LON,EPI_DEPTH,LOCATION_C\n"
        "CC20250402081920.00,4.1,2025-04-02 08:19:20,28.28,87.32,10,西藏日喀则市定日县\n"
    )

    rows, _ = rows_and_errors(read_csv(io.StringIO(text)))

    assert rows[0].origin_time == utc(2025, 4, 2, 0, 19, 20)
    assert rows[0].public_id == "CC20250402081920.00"
    assert rows[0].magnitude_type == "M"


def test_title_line_and_bom_before_header_are_skipped():
    text = "\ufeff中国地震台网地震目录\n\n" + CENC_DATASHARE

    rows, errors = rows_and_errors(read_csv(io.BytesIO(text.encode("utf-8"))))

    assert errors == []
    assert [r.line for r in rows] == [4, 5, 6]


# ------------------------------------------------------------------ CSV: English


def test_english_headers_default_to_utc_and_infer_type_from_header():
    text = (
        "EventID,Origin_Time,Latitude,Longitude,Depth,ML,Place,Network\n"
        "ev1,2020-01-02T03:04:05.25,30.1,103.2,8.5,3.3,Lushan,SC\n"
    )

    rows, errors = rows_and_errors(read_csv(io.StringIO(text)))

    assert errors == []
    assert rows[0] == EventRow(
        origin_time=utc(2020, 1, 2, 3, 4, 5, 250000),
        latitude=30.1,
        longitude=103.2,
        depth_km=8.5,
        magnitude=3.3,
        magnitude_type="ML",
        location_name="Lushan",
        public_id="ev1",
        source="SC",
        line=2,
    )


def test_tz_argument_overrides_the_default():
    text = "time,lat,lon,mag\n2020-01-01 08:00:00,1,2,3\n"

    (row,), _ = rows_and_errors(read_csv(io.StringIO(text), tz="Asia/Shanghai"))

    assert row.origin_time == utc(2020, 1, 1, 0, 0)


def test_time_with_zone_designator_wins_over_default():
    text = "发震时刻,纬度,经度,震级\n2020-01-01T08:00:00Z,1,2,3\n"

    (row,), _ = rows_and_errors(read_csv(io.StringIO(text)))

    assert row.origin_time == utc(2020, 1, 1, 8, 0)


@pytest.mark.parametrize("separator", ["\t", ";", "|"])
def test_other_separators_are_sniffed(separator):
    text = separator.join(["time", "lat", "lon", "mag"]) + "\n"
    text += separator.join(["2020-01-01 00:00:00", "1", "2", "3"]) + "\n"

    rows, errors = rows_and_errors(read_csv(io.StringIO(text)))

    assert errors == []
    assert rows[0].magnitude == 3.0


def test_depth_in_metres_header_is_converted_to_km():
    text = "time,lat,lon,depth(m),mag\n2020-01-01 00:00:00,1,2,12500,3\n"

    (row,), _ = rows_and_errors(read_csv(io.StringIO(text)))

    assert row.depth_km == 12.5


def test_mapping_overrides_automatic_matching():
    text = "when,y,x,size,z\n2020-01-01 00:00:00,1,2,3.5,7\n"
    mapping = {
        "time": "when",
        "latitude": "y",
        "longitude": "x",
        "magnitude": "size",
        "depth": "z",
    }

    (row,), _ = rows_and_errors(read_csv(io.StringIO(text), mapping=mapping))

    assert (row.latitude, row.longitude, row.magnitude, row.depth_km) == (1, 2, 3.5, 7)


def test_mapping_naming_a_missing_column_is_a_format_error():
    text = "time,lat,lon,mag\n"

    with pytest.raises(FormatError, match="column 'size' for magnitude"):
        list(read_csv(io.StringIO(text), mapping={"magnitude": "size"}))


def test_focal_mechanism_columns_are_read():
    text = "time,lat,lon,mag,strike,dip,rake\n2020-01-01 00:00:00,1,2,3,120,45,-90\n"

    (row,), _ = rows_and_errors(read_csv(io.StringIO(text)))

    assert (row.strike, row.dip, row.rake) == (120.0, 45.0, -90.0)


# ------------------------------------------------------------------ CSV: errors


def test_bad_rows_become_errors_with_line_and_column_and_reading_goes_on():
    text = (
        "发震日期,发震时刻,纬度(°),经度(°),深度(km),震级,参考地点\n"
        "2016-05-29,10:14:37.7,31.5,104.3,13,Ms4.3,四川\n"  # 2 ok
        "2016-05-29,10:14:37.7,95.2,104.3,13,Ms4.3,四川\n"  # 3 latitude
        "2016-05-29,10:14:37.7,31.5,190,13,Ms4.3,四川\n"  # 4 longitude
        "2016-13-29,10:14:37.7,31.5,104.3,13,Ms4.3,四川\n"  # 5 date
        "2016-05-29,25:14,31.5,104.3,13,Ms4.3,四川\n"  # 6 time
        "2016-05-29,10:14:37.7,31.5,104.3,13,,四川\n"  # 7 magnitude empty
        "2016-05-29,10:14:37.7,31.5,104.3,13,big,四川\n"  # 8 magnitude text
        "2016-05-29,10:14:37.7,31.5,104.3,-50,Ms4.3,四川\n"  # 9 depth
        "2016-05-29,10:14:37.7\n"  # 10 short
        "2016-05-30,00:00:00,31.5,104.3,,M3.0,四川\n"  # 11 ok, no depth
    )

    rows, errors = rows_and_errors(read_csv(io.StringIO(text)))

    assert [r.line for r in rows] == [2, 11]
    assert rows[1].depth_km is None
    assert [str(e) for e in errors] == [
        "line 3: latitude '95.2' is out of range -90..90",
        "line 4: longitude '190' is out of range -180..180",
        "line 5: time '2016-13-29 10:14:37.7' is not a valid date-time (month must be in 1..12)",
        "line 6: time '2016-05-29 25:14' is not a valid date-time (hour must be in 0..23)",
        "line 7: magnitude is empty",
        "line 8: magnitude 'big' is not a number",
        "line 9: depth '-50' is out of range -10..800 km",
        "line 10: expected at least 7 columns, found 2",
    ]
    assert errors[0].column == "纬度(°)"


def test_line_numbers_count_quoted_multiline_fields():
    text = 'time,lat,lon,mag,place\n2020-01-01 00:00:00,1,2,3,"two\nlines"\n2020-01-01 00:00:00,95,2,3,x\n'

    rows, errors = rows_and_errors(read_csv(io.StringIO(text)))

    assert rows[0].location_name == "two\nlines"
    assert [str(e) for e in errors] == ["line 4: latitude '95' is out of range -90..90"]


def test_file_without_usable_header_is_a_format_error():
    with pytest.raises(FormatError, match=r"columns seen: a, b, c"):
        list(read_csv(io.StringIO("a,b,c\n1,2,3\n")))


def test_header_without_magnitude_is_a_format_error():
    with pytest.raises(FormatError, match="no magnitude column"):
        list(read_csv(io.StringIO("time,lat,lon\n2020-01-01,1,2\n")))


# ------------------------------------------------------------------ CSV: streaming


def test_reader_pulls_lines_lazily():
    consumed = 0

    def lines():
        nonlocal consumed
        yield "time,lat,lon,mag\n"
        for i in itertools.count():
            consumed += 1
            yield f"2020-01-01 00:00:{i % 60:02d},1,2,3\n"

    first = list(itertools.islice(read_csv(lines()), 3))

    assert len(first) == 3
    assert consumed <= 4


def test_large_file_streams_with_flat_memory():
    # given: 20,000 rows; held in a list they would take about 7.5 MB
    def lines():
        yield b"time,lat,lon,depth,mag,place\n"
        for i in range(20_000):
            yield f"2020-01-01 00:{i // 60 % 60:02d}:{i % 60:02d},30.5,103.1,10,3.1,x\n".encode()

    # when
    tracemalloc.start()
    count = 0
    for result in read_csv(lines()):
        count += isinstance(result, EventRow)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    # then
    assert count == 20_000
    assert peak < 500_000


# ------------------------------------------------------------------ FDSN text

FDSN_TEXT = (
    "#EventID|Time|Latitude|Longitude|Depth/km|Author|Catalog|Contributor|"
    "ContributorID|MagType|Magnitude|MagAuthor|EventLocationName\n"
    "11393893|2011-03-11T05:46:24.120|38.297|142.373|29.0|NEIC|NEIC PDE|NEIC|"
    "usp000hvnu|MW|9.1|GCMT|NEAR EAST COAST OF HONSHU, JAPAN\n"
    "2|2011-03-11T06:00:00|38.0|142.0||NEIC|||||||\n"
    "3|2011-03-11T06:10:00|98.0|142.0|10|||||||M|\n"
    "4|2011-03-11\n"
)


def test_fdsn_text_rows_and_errors():
    rows, errors = rows_and_errors(read_fdsn_text(io.StringIO(FDSN_TEXT)))

    assert rows[0] == EventRow(
        origin_time=utc(2011, 3, 11, 5, 46, 24, 120000),
        latitude=38.297,
        longitude=142.373,
        depth_km=29.0,
        magnitude=9.1,
        magnitude_type="MW",
        location_name="NEAR EAST COAST OF HONSHU, JAPAN",
        public_id="11393893",
        source="NEIC",
        catalog="NEIC PDE",
        contributor="NEIC",
        contributor_id="usp000hvnu",
        magnitude_author="GCMT",
        line=2,
    )
    assert (rows[1].depth_km, rows[1].magnitude) == (None, None)
    assert [str(e) for e in errors] == [
        "line 4: latitude '98.0' is out of range -90..90",
        "line 5: expected 13 '|'-separated columns, found 2",
    ]


def test_fdsn_text_follows_its_header_order_and_extra_columns():
    text = (
        "#Time | EventID | Latitude | Longitude | Magnitude | EventType\n"
        "2020-01-01T00:00:00Z | a1 | 1.5 | 2.5 | 4.0 | earthquake\n"
    )

    (row,), _ = rows_and_errors(read_fdsn_text(io.BytesIO(text.encode())))

    assert (row.public_id, row.latitude, row.magnitude) == ("a1", 1.5, 4.0)
    assert row.event_type == "earthquake"


# ------------------------------------------------------------------ writers


def sample_events():
    created = utc(2017, 12, 21, 1, 20)
    yield EventOut(
        id="42",
        origins=(
            OriginOut(
                id="42-auto",
                time=utc(2017, 12, 21, 1, 10, 3, 500000),
                latitude=28.1,
                longitude=115.0,
                depth_km=None,
                evaluation_mode="automatic",
                agency="CENC",
                creation_time=utc(2017, 12, 21, 1, 11),
            ),
            OriginOut(
                id="42-formal",
                time=utc(2017, 12, 21, 1, 10, 2, 750000),
                latitude=28.11,
                longitude=115.01,
                depth_km=5.37,
                evaluation_mode="manual",
                evaluation_status="reviewed",
                agency="JX",
                author="江西省地震台网",
                creation_time=created,
            ),
        ),
        magnitudes=(
            MagnitudeOut(id="42-auto", magnitude=2.6, magnitude_type="M", origin_id="42-auto"),
            MagnitudeOut(
                id="42-formal",
                magnitude=2.4,
                magnitude_type="ML",
                origin_id="42-formal",
                agency="JX",
                station_count=12,
            ),
        ),
        preferred_origin_id="42-formal",
        preferred_magnitude_id="42-formal",
        focal_mechanisms=(FocalMechanismOut(id="42", strike=210.0, dip=60.5, rake=-15.0),),
        location_name='江西宜春市上高县 <&"test">',
        agency="JX",
        catalog="JX",
        contributor="JX",
        updated=created,
    )
    yield {
        "id": "43",
        "time": utc(2010, 2, 27, 6, 34, 14),
        "latitude": -35.85,
        "longitude": -72.72,
        "depth_km": 35.0,
        "magnitude": 8.8,
        "magnitude_type": "Mw",
        "location_name": "智利中部沿岸近海",
        "agency": "CENC",
    }


def test_write_quakeml_round_trips_through_obspy():
    # when
    document = b"".join(write_quakeml(sample_events()))
    catalog = obspy.read_events(io.BytesIO(document), format="QUAKEML")

    # then
    first, second = catalog
    assert str(first.resource_id) == "smi:ispec/event/42"
    assert len(first.origins) == 1
    assert len(first.magnitudes) == 1
    origin = first.preferred_origin()
    assert str(origin.resource_id) == "smi:ispec/origin/42-formal"
    assert origin.time == obspy.UTCDateTime(2017, 12, 21, 1, 10, 2, 750000)
    assert (origin.latitude, origin.longitude) == (28.11, 115.01)
    assert origin.depth == 5370.0
    assert origin.evaluation_mode == "manual"
    assert origin.evaluation_status == "reviewed"
    assert origin.creation_info.agency_id == "JX"
    assert origin.creation_info.author == "江西省地震台网"
    assert origin.creation_info.creation_time == obspy.UTCDateTime(2017, 12, 21, 1, 20)
    magnitude = first.preferred_magnitude()
    assert (magnitude.mag, magnitude.magnitude_type) == (2.4, "ML")
    assert magnitude.station_count == 12
    assert str(magnitude.origin_id) == "smi:ispec/origin/42-formal"
    assert first.event_descriptions[0].text == '江西宜春市上高县 <&"test">'
    assert first.event_descriptions[0].type == "region name"
    plane = first.preferred_focal_mechanism().nodal_planes.nodal_plane_1
    assert (plane.strike, plane.dip, plane.rake) == (210.0, 60.5, -15.0)
    assert first.event_type == "earthquake"
    assert second.preferred_origin().depth == 35000.0
    assert (second.preferred_origin().latitude, second.preferred_origin().longitude) == (
        -35.85,
        -72.72,
    )
    assert second.preferred_magnitude().mag == 8.8


def test_write_quakeml_with_all_origins_and_magnitudes():
    document = b"".join(write_quakeml(sample_events(), include_all_origins=True, include_all_magnitudes=True))
    catalog = obspy.read_events(io.BytesIO(document), format="QUAKEML")

    event = catalog[0]
    assert [str(o.resource_id) for o in event.origins] == [
        "smi:ispec/origin/42-auto",
        "smi:ispec/origin/42-formal",
    ]
    assert [m.mag for m in event.magnitudes] == [2.6, 2.4]
    assert event.origins[0].depth is None
    assert str(event.preferred_origin_id) == "smi:ispec/origin/42-formal"
    assert str(event.preferred_magnitude_id) == "smi:ispec/magnitude/42-formal"


def test_write_quakeml_validates_against_the_quakeml_schema(tmp_path):
    path = tmp_path / "events.xml"
    path.write_bytes(
        b"".join(write_quakeml(sample_events(), include_all_origins=True, include_all_magnitudes=True))
    )

    assert validate_quakeml(str(path)) is True


def test_write_quakeml_streams_one_piece_per_event():
    pieces = list(write_quakeml(sample_events()))

    assert len(pieces) == 4  # header, two events, footer
    assert pieces[1].startswith(b'<event publicID="smi:ispec/event/42">')


def test_read_quakeml_reads_back_what_write_quakeml_wrote():
    document = b"".join(write_quakeml(sample_events()))

    rows, errors = rows_and_errors(read_quakeml(io.BytesIO(document)))

    assert errors == []
    assert rows[0].public_id == "smi:ispec/event/42"
    assert rows[0].origin_time == utc(2017, 12, 21, 1, 10, 2, 750000)
    assert rows[0].depth_km == pytest.approx(5.37)
    assert (rows[0].magnitude, rows[0].magnitude_type) == (2.4, "ML")
    assert rows[0].location_name == '江西宜春市上高县 <&"test">'
    assert (rows[0].strike, rows[0].dip, rows[0].rake) == (210.0, 60.5, -15.0)
    assert rows[0].source == "JX"
    assert rows[0].evaluation_mode == "manual"
    assert rows[0].line == 5
    assert rows[1].latitude == -35.85


def test_read_quakeml_event_without_origin_is_a_row_error():
    document = (
        b'<?xml version="1.0"?>\n'
        b'<q:quakeml xmlns="http://quakeml.org/xmlns/bed/1.2" '
        b'xmlns:q="http://quakeml.org/xmlns/quakeml/1.2">\n'
        b'<eventParameters publicID="smi:x/ep">\n'
        b'<event publicID="smi:x/e1"><type>earthquake</type></event>\n'
        b"</eventParameters></q:quakeml>\n"
    )

    results = list(read_quakeml(document))

    assert results == [RowError(4, "event smi:x/e1: has no origin")]


def test_malformed_quakeml_names_the_line():
    document = (
        b'<?xml version="1.0"?>\n'
        b'<q:quakeml xmlns="http://quakeml.org/xmlns/bed/1.2" '
        b'xmlns:q="http://quakeml.org/xmlns/quakeml/1.2">\n'
        b'<eventParameters publicID="smi:x/ep">\n'
        b'<event publicID="smi:x/e1"><origin>\n'
        b"</eventParameters></q:quakeml>\n"
    )

    with pytest.raises(FormatError) as caught:
        list(read_quakeml(io.BytesIO(document)))

    assert caught.value.line == 5
    assert str(caught.value).startswith("QuakeML is not well-formed XML: line 5:")


def test_quakeml_with_entities_is_refused():
    document = (
        b'<?xml version="1.0"?>\n<!DOCTYPE q [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        b'<q:quakeml xmlns:q="http://quakeml.org/xmlns/quakeml/1.2">'
        b'<eventParameters publicID="a">&x;</eventParameters></q:quakeml>'
    )

    with pytest.raises(FormatError, match="DOCTYPE"):
        list(read_quakeml(document))


def test_xml_that_is_not_quakeml_is_a_format_error():
    with pytest.raises(FormatError, match="root element is <foo>"):
        list(read_quakeml(b"<?xml version='1.0'?>\n<foo/>"))


def test_write_fdsn_text_is_read_back_by_obspy_and_by_our_reader():
    text = "".join(write_fdsn_text(sample_events()))

    catalog = obspy.read_events(io.StringIO(text), format="EVENTTXT")
    rows, errors = rows_and_errors(read_fdsn_text(io.StringIO(text)))

    assert text.splitlines()[1] == (
        "42|2017-12-21T01:10:02.750000|28.11|115.01|5.37|江西省地震台网|JX|JX||ML|2.4|JX|"
        '江西宜春市上高县 <&"test">'
    )
    assert str(catalog[0].resource_id) == "42"
    assert catalog[0].origins[0].time == obspy.UTCDateTime(2017, 12, 21, 1, 10, 2, 750000)
    assert catalog[0].origins[0].depth == pytest.approx(5370.0)
    assert catalog[0].magnitudes[0].mag == 2.4
    assert catalog[1].origins[0].latitude == -35.85
    assert errors == []
    assert [(r.public_id, r.magnitude, r.depth_km) for r in rows] == [
        ("42", 2.4, 5.37),
        ("43", 8.8, 35.0),
    ]


def test_write_fdsn_text_keeps_one_line_per_event():
    event = {
        "id": "1",
        "time": utc(2020, 1, 1),
        "latitude": 1,
        "longitude": 2,
        "magnitude": 3,
        "location_name": "a|b\nc",
    }

    lines = list(write_fdsn_text([event]))

    assert lines[1] == "1|2020-01-01T00:00:00|1.0|2.0|||||||3.0||a/b c\n"


def test_write_geojson_follows_the_usgs_summary_shape():
    generated = utc(2024, 1, 1)

    text = "".join(
        write_geojson(
            sample_events(),
            url="https://ispec.example/fdsnws/event/1/query?format=geojson",
            count=2,
            generated=generated,
            event_url="https://ispec.example/events/{id}",
        )
    )
    data = json.loads(text)

    assert list(data) == ["type", "metadata", "features"]
    assert data["metadata"] == {
        "generated": 1704067200000,
        "url": "https://ispec.example/fdsnws/event/1/query?format=geojson",
        "title": "ISPEC Earthquakes",
        "status": 200,
        "api": "1.2.0",
        "count": 2,
    }
    feature = data["features"][0]
    assert feature["id"] == "ispec42"
    assert feature["geometry"] == {"type": "Point", "coordinates": [115.01, 28.11, 5.37]}
    properties = feature["properties"]
    assert properties["mag"] == 2.4
    assert properties["magType"] == "ML"
    assert properties["time"] == 1513818602750
    assert properties["updated"] == 1513819200000
    assert properties["type"] == "earthquake"
    assert properties["status"] == "reviewed"
    assert properties["net"] == "ispec"
    assert properties["code"] == "42"
    assert properties["ids"] == ",ispec42,"
    assert properties["sources"] == ",jx,"
    assert properties["types"] == ",origin,focal-mechanism,"
    assert properties["url"] == "https://ispec.example/events/42"
    assert properties["title"] == 'M 2.4 - 江西宜春市上高县 <&"test">'
    assert data["features"][1]["geometry"]["coordinates"] == [-72.72, -35.85, 35.0]


def test_write_geojson_without_count_puts_metadata_last():
    text = "".join(write_geojson(sample_events(), generated=utc(2024, 1, 1)))
    data = json.loads(text)

    assert list(data) == ["type", "features", "metadata"]
    assert data["metadata"]["count"] == 2


def test_write_geojson_of_nothing_is_an_empty_collection():
    data = json.loads("".join(write_geojson([], count=0)))

    assert data["features"] == []
    assert data["metadata"]["count"] == 0


# ------------------------------------------------------------------ input shapes


def test_nested_mapping_input_is_accepted():
    event = as_event(
        {
            "id": 7,
            "origins": [
                {"id": "7a", "time": utc(2020, 1, 1), "latitude": 1.0, "longitude": 2.0},
                {"id": "7b", "time": utc(2020, 1, 1), "latitude": 1.1, "longitude": 2.1},
            ],
            "magnitudes": [{"id": "7m", "magnitude": 3.0, "origin_id": "7b"}],
            "preferred_origin_id": "7b",
            "location_name": "somewhere",
        }
    )

    assert event.id == "7"
    assert event.preferred_origin.latitude == 1.1
    assert event.preferred_magnitude.magnitude == 3.0


def test_event_row_input_is_accepted():
    row = EventRow(
        origin_time=utc(2020, 1, 1),
        latitude=1.0,
        longitude=2.0,
        depth_km=3.0,
        magnitude=4.0,
        magnitude_type="Ms",
        public_id="r1",
        source="CENC",
    )

    event = as_event(row)

    assert event.id == "r1"
    assert event.preferred_origin.agency == "CENC"
    assert event.preferred_magnitude.magnitude_type == "Ms"


def test_flat_input_needs_an_aware_time():
    with pytest.raises(ValueError, match="aware datetime"):
        as_event({"id": "1", "time": datetime(2020, 1, 1), "latitude": 1, "longitude": 2})


def test_beijing_is_a_fixed_offset_without_summer_time():
    summer_1988 = datetime(1988, 7, 1, 12, tzinfo=BEIJING)

    assert summer_1988.utcoffset() == timedelta(hours=8)
    assert BEIJING.utcoffset(None) == timezone(timedelta(hours=8)).utcoffset(None)
