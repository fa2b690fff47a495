"""The FDSN service's quick paths write what the writers wrote before them (issue 18).

The service reads its rows with the database's text of each time
(``catalog.selectors.fdsn_rows``) and the row writers take shortcuts (texts cleaned once,
ids and place names only when they hold something to clean, depths mostly without
``round``). Here rows the fixed catalog of ``test_fdsn_golden.py`` does not hold: times
with and without microseconds (the database leaves trailing zeros out), years before
1000, ids that are URIs or need escaping, whitespace Python strips that a naive check
would miss, control characters, markup, tiny and whole numbers.
"""

from __future__ import annotations

import itertools
import random
import re
import struct
from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import connection

from catalog import selectors
from catalog.fdsn_params import parse_fdsn_query
from catalog.formats import (
    ROW_FIELDS,
    TEXT_ROW_FIELDS,
    write_fdsn_text,
    write_fdsn_text_rows,
    write_quakeml,
    write_quakeml_rows,
)
from catalog.formats.events import database_time, float_text, utc_text_parts
from catalog.formats.quakeml import _metres
from catalog.models import Event, EventStatus, ReportKind
from catalog.services.events import Solution, event_record_solution

from .test_fdsn_golden import _flat

Q = "/fdsnws/event/1/query"
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
STAMP = datetime(2026, 1, 1, tzinfo=UTC)

#: (public id, origin time, latitude, longitude, depth, magnitude, place, source, status, mechanism)
ODD = [
    ("plain1", T0, 28.5, 115.0, 10.0, 3.0, "江西宜春", "JX", "reviewed", None),
    (
        "micro",
        T0.replace(microsecond=250_000),
        -0.0,
        179.99999999999997,
        16.1,
        -1.5,
        "",
        "",
        "automatic",
        None,
    ),
    ("micro5", T0.replace(microsecond=5), 89.999999, -180.0, None, None, " lead", "CENC", "reviewed", None),
    (
        "micro9",
        T0.replace(microsecond=999_999),
        0.0001,
        1e-05,
        1e-05,
        12.0,
        "trail\u3000",
        "US GS",
        "reviewed",
        (1.0, 2.0, 3.0),
    ),
    (
        "y999",
        datetime(999, 12, 31, 23, 59, 59, tzinfo=UTC),
        1.0,
        2.0,
        0.0001,
        2.5,
        "\xa0nbsp",
        "JX",
        "reviewed",
        None,
    ),
    ("y1000", datetime(1000, 1, 1, tzinfo=UTC), 1.0, 2.0, 123.4565, 2.5, "x\x1c", "JX", "reviewed", None),
    ("smi:other/event/1", T0 + timedelta(hours=1), 30.0, 100.0, 5.0, 4.0, "a|b\r\nc", "JX", "reviewed", None),
    (
        "quakeml:x/y",
        T0 + timedelta(hours=2),
        30.0,
        100.0,
        5.0,
        4.0,
        "tab\there",
        "JX",
        "reviewed",
        (0.0, 90.0, -180.0),
    ),
    ('id"q', T0 + timedelta(hours=3), 30.0, 100.0, 700.0, 4.0, "<&>\"'", "A&B", "automatic", None),
    ("id'q", T0 + timedelta(hours=4), 30.0, 100.0, 0.0625, 4.0, "ctl\x01x", "<x>", "reviewed", None),
    ("a&b", T0 + timedelta(hours=5), 30.0, 100.0, 999.9999995, 4.0, "\x85next line", "JX", "reviewed", None),
    (" space ", T0 + timedelta(hours=6), 30.0, 100.0, 7.333, 4.0, "\u2028", "JX", "reviewed", None),
    ("pipe|id", T0 + timedelta(hours=7), 30.0, 100.0, 1.001, 4.0, "ok", "J|X", "reviewed", None),
]


@pytest.fixture
def odd_catalog(jx):
    for index, (pid, when, lat, lon, depth, mag, place, source, status, mechanism) in enumerate(ODD):
        event, _created, _changed = event_record_solution(
            bureau=jx,
            solution=Solution(
                origin_time=T0 + timedelta(days=index),
                latitude=28.0,
                longitude=115.0,
                depth_km=10.0,
                magnitude=3.0,
                magnitude_type="ML",
                location_name="x",
                source="JX",
                status=EventStatus.REVIEWED,
                report_kind=ReportKind.CATALOG,
            ),
            data_origin="manual",
            publish=True,
        )
        strike, dip, rake = mechanism or (None, None, None)
        # values the services would refuse or never write: straight into the row
        Event.objects.filter(pk=event.pk).update(
            public_id=pid,
            origin_time=when,
            latitude=lat,
            longitude=lon,
            depth_km=depth,
            magnitude=mag,
            magnitude_type="" if mag is None else "Mw",
            location_name=place,
            source=source,
            status=status,
            event_type="quarry blast" if index % 3 == 0 else "",
            strike=strike,
            dip=dip,
            rake=rake,
            created_at=STAMP + timedelta(microseconds=index * 10_000),
            updated_at=STAMP + timedelta(days=1),
        )


def _body(response) -> bytes:
    data = b"".join(response.streaming_content) if response.streaming else response.content
    # the document's own creationTime is "now"
    return re.sub(rb"^(.*?<creationTime>)[^<]+", rb"\1NOW", data, count=1, flags=re.S)


def _expected(fmt: str, params: dict[str, str]) -> bytes:
    """What the writers make of the rows as Django reads them (datetimes), before issue 18's
    quick paths: the mapping writers, as test_fdsn_golden.py keeps them."""
    query = parse_fdsn_query({**params, "format": fmt})
    rows = list(selectors.events_for_fdsn(actor=None, query=query).values_list(*ROW_FIELDS))
    assert len(rows) == len(ODD)
    if fmt == "text":
        return "".join(write_fdsn_text(_flat(r) for r in rows)).encode()
    return _body_bytes(b"".join(write_quakeml((_flat(r) for r in rows), creation_time=STAMP)))


def _body_bytes(data: bytes) -> bytes:
    return re.sub(rb"^(.*?<creationTime>)[^<]+", rb"\1NOW", data, count=1, flags=re.S)


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["text", "xml"])
@pytest.mark.parametrize("params", [{"limit": "100"}, {}, {"orderby": "magnitude-asc", "limit": "50"}])
def test_the_service_writes_what_the_mapping_writers_write(client, odd_catalog, fmt, params):
    """At once (a limit) and through a server-side cursor (no limit)."""
    response = client.get(Q, {**params, "format": fmt}, HTTP_HOST="testserver")
    assert response.status_code == 200
    assert _body(response) == _expected(fmt, params)


@pytest.mark.django_db
@pytest.mark.parametrize("server_side", [True, False])
def test_fdsn_rows_are_values_list_with_the_database_text_of_times(odd_catalog, monkeypatch, server_side):
    if not server_side:  # a transaction pooler's setting: chunks from an ordinary cursor
        monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", True)
    query = parse_fdsn_query({"format": "xml"})
    events = selectors.events_for_fdsn(actor=None, query=query)
    cases = [(ROW_FIELDS, None), (TEXT_ROW_FIELDS, None), (ROW_FIELDS, 4)]
    for (fields, chunk_size), floats_as_text in itertools.product(cases, (False, True)):
        expected = list(events.values_list(*fields))
        got = list(selectors.fdsn_rows(events, fields, chunk_size=chunk_size, floats_as_text=floats_as_text))
        assert len(got) == len(expected) == len(ODD)
        for read, django in zip(got, expected, strict=True):
            for value, reference in zip(read, django, strict=True):
                if isinstance(reference, datetime):
                    assert isinstance(value, str)
                    assert database_time(value) == reference
                elif floats_as_text and isinstance(reference, float):
                    assert isinstance(value, str)
                    assert float_text(value) == repr(reference)
                else:
                    assert value == reference
                    assert type(value) is type(reference)


@pytest.mark.django_db
def test_an_anonymous_query_is_one_statement(client, odd_catalog, django_assert_num_queries):
    """No session, actor, token or grant lookups for an anonymous read of published events."""
    for fmt in ("text", "xml"):
        with django_assert_num_queries(1):
            assert _body(client.get(Q, {"format": fmt, "limit": "100"}))


def _database_texts(values: list[datetime]) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT unnest(%s::timestamptz[])::text", [values])
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db
def test_the_writers_take_the_database_text_of_a_time_as_the_time():
    beijing = timezone(timedelta(hours=8))
    times = [
        T0,
        T0.replace(microsecond=1),
        T0.replace(microsecond=100_000),
        T0.replace(microsecond=999_999),
        datetime(999, 1, 2, 3, 4, 5, 600_000, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(1000, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        datetime(2024, 1, 1, 8, 0, 0, 5, tzinfo=beijing),
    ]
    texts = _database_texts(times)
    texts.append("2024-01-01 08:00:00.000005+08")  # another session time zone: read, then written
    times.append(datetime(2024, 1, 1, 8, 0, 0, 5, tzinfo=beijing))
    for when, text in zip(times, texts, strict=True):
        assert database_time(text) == when
        row = (
            "e",
            when,
            1.0,
            2.0,
            3.0,
            4.0,
            "ML",
            "p",
            "S",
            "reviewed",
            "",
            None,
            None,
            None,
            when,
            when,
            "JX",
        )
        as_text = (row[0], text, *row[2:14], text, text, row[16])
        assert list(write_fdsn_text_rows([as_text])) == list(write_fdsn_text_rows([row]))
        assert list(write_fdsn_text_rows([as_text])) == list(write_fdsn_text([_flat(row)]))
        assert list(write_quakeml_rows([as_text], creation_time=STAMP)) == list(
            write_quakeml([_flat(row)], creation_time=STAMP)
        )
    with pytest.raises(ValueError, match="ISO text"):
        list(
            write_fdsn_text_rows([("e", "Tue Dec 31 19:50:21 2019", 1.0, 2.0, None, None, "", "", "", "JX")])
        )


def test_utc_text_parts_reads_only_the_shape_it_knows():
    assert utc_text_parts("2019-12-31 19:50:21+00") == ("2019-12-31T19:50:21", "")
    assert utc_text_parts("2019-12-31 19:50:21.6+00") == ("2019-12-31T19:50:21", "600000")
    assert utc_text_parts("2019-12-31 19:50:21.000001+00") == ("2019-12-31T19:50:21", "000001")
    for other in (
        "0999-12-31 19:50:21+00",
        "2019-12-31 19:50:21+08",
        "2019-12-31 19:50:21.5+05:30",
        "10000-01-01 00:00:00.5+00",
        "2019-12-31T19:50:21+00",
        "2019-12-31 19:50:21+00 BC",
    ):
        assert utc_text_parts(other) is None


def test_depths_in_metres_are_what_round_gives():
    rng = random.Random(18)  # noqa: S311 - reproducible test values
    values = [x / 10 for x in range(-100, 8001)] + [x / 1000 for x in range(0, 100_000, 7)]
    values += [rng.uniform(-10, 800) for _ in range(20_000)]
    values += [struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0] for _ in range(20_000)]
    values += [0.0, -0.0, 1e-7, 5e-5, 0.0625, 123.4565, 999.9999995, 1e6, 1e12, float("inf"), float("nan")]
    for value in values:
        try:
            expected = repr(round(value * 1000.0, 3))
        except OverflowError:
            continue
        assert _metres(value) == expected, value


@pytest.mark.django_db
def test_the_database_text_of_a_float_is_written_as_repr_writes_the_float():
    """``float_text`` of what PostgreSQL sends for a ``double precision`` (its shortest exact
    decimal, as the settings pin it) is ``repr`` of the float: whole numbers, signed zeros,
    the edges where either side starts its exponent (1e-4; PostgreSQL at 1e15, Python at
    1e16), infinities and NaN, and random values of every magnitude."""
    rng = random.Random(20261202)  # noqa: S311 - reproducible test values
    values = [0.0, -0.0, 1.0, -3.0, 3.3, 0.1 + 0.2, 22.0196, 104.9423, 179.99999999999997, -180.0]
    values += [1e-4, 9.999999999999999e-05, 1e-05, 1.5e-07, 5e-324, 1.7976931348623157e308]
    values += [1e14, 123456789012345.0, 999999999999999.9, 1e15, 1.5e15, 9999999999999998.0, 1e16, 1e22]
    values += [float("inf"), float("-inf"), float("nan")]
    values += [x / 10 for x in range(-100, 1000)] + [rng.uniform(-180, 180) for _ in range(5_000)]
    values += [rng.uniform(0, 1) * 10.0 ** rng.randint(-12, 20) for _ in range(5_000)]
    values += [struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0] for _ in range(5_000)]
    with connection.cursor() as cursor:
        cursor.cursor.adapters.register_loader("float8", selectors._AS_TEXT)
        cursor.execute("SELECT unnest(%s::float8[])", [values])
        texts = [text for (text,) in cursor.fetchall()]
    assert all(type(text) is str for text in texts)
    for value, text in zip(values, texts, strict=True):
        assert float_text(text) == repr(value), (value, text)
        assert float_text(value) == repr(value)
