"""The CSV fast path (PostgreSQL converts the lines, issue 18) stores exactly what the Python
reader stores: the same events, versions, counts and line-numbered errors.

Each file is imported twice into an empty catalog, with the fast path and with every line
through the reader (``import_writer.CSV_FAST_PATH = False``), and the two are compared
(tests/catalog/test_import_golden.py compares both against the stored golden files). The
files are made of what the pattern must leave to the reader: edge dates and zones, ties at
the fifth decimal, white space Python strips and PostgreSQL would not, numbers Python
reads and the pattern does not, and what ends the fast path mid-file (a quote, bytes that
are not UTF-8, a NUL).
"""

from __future__ import annotations

import io
import json

import pytest

from catalog.formats import FormatError
from catalog.models import Event, EventVersion
from catalog.services import import_csv, import_writer

from .test_import_golden import CASES, FIRST, GOLDEN, SECOND, _snapshot

pytestmark = pytest.mark.django_db

HEADER = "time,latitude,longitude,depth,mag,magType,place,id,status,source,strike,dip,rake,type,contributor,extra\n"

EDGES = HEADER + "\n".join(
    [
        "2024-01-02T02:14:37.700Z,28.11,115.01,5,2.4,ML,宜春,ext-1,reviewed,JX,,,,,,x",
        "2024-02-29T01:00:00Z,28.5,115.5,5,2.0,ML,leap day,,,,,,,,,",
        "2023-02-29T01:00:00Z,28.5,115.5,5,2.0,ML,not a leap year,,,,,,,,,",
        "2024-04-31T01:00:00Z,28.5,115.5,5,2.0,ML,31 April,,,,,,,,,",
        "2024-01-02T24:00:00Z,28.5,115.5,5,2.0,ML,hour 24,,,,,,,,,",
        "2024-01-02T23:59:60Z,28.5,115.5,5,2.0,ML,second 60,,,,,,,,,",
        "2024-01-03T01:00:00.1234567Z,28.5,115.5,5,2.0,ML,seven decimals of a second,,,,,,,,,",
        "2024-01-03 02:00:00,28.5,115.5,5,2.0,ML,a space for T,,,,,,,,,",
        "2024-01-03T03:00:00+08:00,28.5,115.5,5,2.0,ML,Beijing offset,,,,,,,,,",
        "2024-01-03T04:00:00.25-05:30,28.5,115.5,5,2.0,ML,minus five thirty,,,,,,,,,",
        "2024-01-03T05:00:00z,28.5,115.5,5,2.0,ML,lower-case z,,,,,,,,,",
        "2024-01-03T06:00:00 UTC,28.5,115.5,5,2.0,ML,UTC written out,,,,,,,,,",
        "2024-01-03T07:00,28.5,115.5,5,2.0,ML,no seconds,,,,,,,,,",
        "2024-1-3T08:00:00,28.5,115.5,5,2.0,ML,one-digit month,,,,,,,,,",
        "２０２４-01-03T09:00:00,28.5,115.5,5,2.0,ML,full-width digits,,,,,,,,,",
        "1000-01-01T03:00:00+08:00,28.5,115.5,5,2.0,ML,year 999 in UTC,,,,,,,,,",
        "2099-01-01T00:00:00Z,28.5,115.5,5,2.0,ML,future,,,,,,,,,",
        "2024-01-04T01:00:00Z,28.11115,115.11115,5,2.0,ML,tie at the fifth decimal,,,,,,,,,",
        "2024-01-04T02:00:00Z,28.111150000,115.1111500,5,2.0,ML,tie with zeros,,,,,,,,,",
        "2024-01-04T03:00:00Z,28.111151,115.111149,5,2.0,ML,no tie,,,,,,,,,",
        "2024-01-04T04:00:00Z,28.12345678901,115.5,5,2.0,ML,eleven decimals,,,,,,,,,",
        "2024-01-04T04:30:00Z,28.123456789012345678,115.5,5,2.0,ML,eighteen decimals,,,,,,,,,",
        "9999-12-31T20:00:00-05:00,28.5,115.5,5,2.0,ML,past the year 9999 in UTC,,,,,,,,,",
        "1000-01-01T00:00:00Z,28.5,115.5,5,2.0,ML,the year 1000,,,,,,,,,",
        "2024-01-04T05:00:00Z,-0.00001,-0,5,2.0,ML,negative zero,,,,,,,,,",
        "2024-01-04T06:00:00Z,0,-0.00004,5,2.0,ML,zero and negative zero,,,,,,,,,",
        "2024-01-04T07:00:00Z,-0.00006,0.00005,5,2.0,ML,not zero,,,,,,,,,",
        "2024-01-04T08:00:00Z,91,115.5,5,2.0,ML,latitude out of range,,,,,,,,,",
        "2024-01-04T09:00:00Z,-90.5,115.5,5,2.0,ML,latitude out of range,,,,,,,,,",
        "2024-01-04T10:00:00Z,28.5,180,5,2.0,ML,longitude 180,,,,,,,,,",
        "2024-01-04T11:00:00Z,28.5,-180.00001,5,2.0,ML,longitude out of range,,,,,,,,,",
        "2024-01-04T12:00:00Z,028.50,0115.5,5,2.0,ML,leading zeros,,,,,,,,,",
        "2024-01-04T13:00:00Z,+28.5,115.5,5,2.0,ML,plus sign,,,,,,,,,",
        "2024-01-04T14:00:00Z,28.5,1e2,5,2.0,ML,exponent,,,,,,,,,",
        "2024-01-04T15:00:00Z,28.5,115.5,,2.0,ML,no depth,,,,,,,,,",
        "2024-01-04T16:00:00Z,28.5,115.5,nan,2.0,ML,depth nan,,,,,,,,,",
        "2024-01-04T17:00:00Z,28.5,115.5,-,2.0,ML,depth dash,,,,,,,,,",
        "2024-01-04T18:00:00Z,28.5,115.5, 5 ,2.0,ML,depth with spaces,,,,,,,,,",
        "2024-01-04T19:00:00Z,28.5,115.5,801,2.0,ML,too deep,,,,,,,,,",
        "2024-01-04T20:00:00Z,28.5,115.5,-10,2.0,ML,ten above the sea,,,,,,,,,",
        "2024-01-04T21:00:00Z,28.5,115.5,5,Ms4.3,,type in the magnitude,,,,,,,,,",
        "2024-01-04T22:00:00Z,28.5,115.5,5,ML-1.5,,negative with type,,,,,,,,,",
        "2024-01-04T23:00:00Z,28.5,115.5,5,m5,MW,both types,,,,,,,,,",
        "2024-01-05T00:00:00Z,28.5,115.5,5,11,ML,magnitude out of range,,,,,,,,,",
        "2024-01-05T01:00:00Z,28.5,115.5,5,M_5,,underscore,,,,,,,,,",
        "2024-01-05T02:00:00Z,28.5,115.5,5,4.5e0,ML,exponent,,,,,,,,,",
        "2024-01-05T03:00:00Z,28.5,115.5,5,,ML,no magnitude,,,,,,,,,",
        "2024-01-05T04:00:00Z,28.5,115.5,5,4,mb,mb,,,,,,,,,",
        "2024-01-05T05:00:00Z,28.5,115.5,5,4,mB,mB,,,,,,,,,",
        "2024-01-05T06:00:00Z,28.5,115.5,5,4,MWW,MWW,,,,,,,,,",
        "2024-01-05T07:00:00Z,28.5,115.5,5,4,msbb,msbb,,,,,,,,,",
        "2024-01-05T08:00:00Z,28.5,115.5,5,4,VeryLongType,long type,,,,,,,,,",
        "2024-01-05T09:00:00Z,28.5,115.5,5,4,M(L),brackets,,,,,,,,,",
        "2024-01-05T10:00:00Z,28.5,115.5,5,4, ML,space before the type,,,,,,,,,",
        "2024-01-05T11:00:00Z,28.5,115.5,5,4,ML, leading space,,,,,,,,,",
        "2024-01-05T12:00:00Z,28.5,115.5,5,4,ML,ideographic space\u3000,,,,,,,,,",
        "2024-01-05T13:00:00Z,28.5,115.5,5,4,ML," + "长" * 250 + ",,,,,,,,,",
        "2024-01-05T14:00:00Z,28.5,115.5,5,4,ML,long id," + "i" * 200 + ",,,,,,,,",
        "2024-01-05T15:00:00Z,28.5,115.5,5,4,ML,status upper,,AUTOMATIC,,,,,,,",
        "2024-01-05T16:00:00Z,28.5,115.5,5,4,ML,status a,,A,,,,,,,",
        "2024-01-05T17:00:00Z,28.5,115.5,5,4,ML,status 自动,,自动,,,,,,,",
        "2024-01-05T18:00:00Z,28.5,115.5,5,4,ML,status 正式,,正式,,,,,,,",
        "2024-01-05T19:00:00Z,28.5,115.5,5,4,ML,status dotted I,,automatİc,,,,,,,",
        "2024-01-05T20:00:00Z,28.5,115.5,5,4,ML,status unknown,,测定,,,,,,,",
        "2024-01-05T21:00:00Z,28.5,115.5,5,4,ML,contributor only,,,,,,,,CENC,",
        "2024-01-05T22:00:00Z,28.5,115.5,5,4,ML,source and contributor,,,JX,,,,,CENC,",
        "2024-01-05T23:00:00Z,28.5,115.5,5,4,ML,angles,,,,360,90.0,-180,,,",
        "2024-01-06T00:00:00Z,28.5,115.5,5,4,ML,strike out of range,,,,361,,,,,",
        "2024-01-06T01:00:00Z,28.5,115.5,5,4,ML,types,,,,,,,天然地震,,",
        "2024-01-06T02:00:00Z,28.5,115.5,5,4,ML,types,,,,,,,爆破,,",
        "2024-01-06T03:00:00Z,28.5,115.5,5,4,ML,types,,,,,,,quarry blast,,",
        "# a comment line",
        "",
        "   ",
        ",,,,,,,,,,,,,,,",
        "2024-01-06T04:00:00Z,28.5,115.5",
        "2024-01-06T05:00:00Z,28.5,115.5,5,4,ML,more columns,,,,,,,,,,extra,extra",
        "2024-01-06T06:00:00Z,28.5,115.5,5,4,ML,fewer columns but enough,,,,,,",
        "2024-02-01T00:00:00Z,30.00,117.00,12,5.0,Mw,new A,,reviewed,,,,,,,",
        "2024-02-01T00:00:02Z,30.01,117.01,12,5.1,Mw,new A duplicate,,reviewed,,,,,,,",
        "2024-02-01T00:00:04.5,30.02,117.02,12,5.2,Mw,new A third (read by Python),,automatic,,,,,,,",
        "2024-02-01T00:00:04Z,30.02,117.02,12,5.3,Mw,new A fourth,,automatic,,,,,,,",
        "2024-02-02T00:00:00Z,31.00,118.00,7,2.0,ML,by id,ext-9,reviewed,,,,,,,",
        "2024-02-02T05:00:00Z,31.50,118.50,7,2.1,ML,by id again far away,ext-9,reviewed,,,,,,,",
        "2024-02-02T06:00:00Z,31.50,118.50,7,2.1,ML,by id again (Python), ext-9,reviewed,,,,,,,",
        "2024-01-02T02:14:39Z,28.12,115.02,6,2.5,ML,宜春 again,,reviewed,JX,,,,,,",
    ]
)

CENC = (
    "发震日期,发震时刻,纬度(°),经度(°),深度(m),震级,事件类型,参考地点\r\n"
    "2024-01-02,10:14:37.7,28.11,115.01,5000,ML2.4,天然地震,江西宜春市上高县\r\n"
    "2024-01-03,06:18:07.0,27.50,116.20,10000,ML3.1,天然地震,江西抚州市\r\n"
    "2024-02-29,23:59:30,26.80,114.90,800000,Ms4.3,爆破,江西吉安市\r\n"
    "2024-01-05,23:59:30.0,26.80,114.90,900000,Ms4.3,天然地震,too deep\r\n"
    "2024-01-06,2024-01-06 01:00:00,26.80,114.90,8000,Ms4.3,天然地震,a full time in the time column\r\n"
    "2024-01-07,1:00:00,26.80,114.90,8000,4.3,天然地震,one-digit hour\r\n"
)

SEMICOLONS = "time;lat;lon;depth;ML;place\n2024-01-02T02:14:37Z;28.11;115.01;5;2.4;a, b\n2024-01-02T03:00:00Z;28.5;115.5;;2.0;c\n"

TABS = "time\tlat\tlon\tdepth\tmag\tplace\n2024-01-02T02:14:37Z\t28.11\t115.01\t5\t2.4\t a\n2024-01-02T03:00:00Z\t28.5\t115.5\t\t2.0\tb\n"

# A quote ends the fast path: the rest (a quoted field with the delimiter and a line
# break in it, then ordinary lines) goes through the reader with its line numbers.
QUOTED = (
    HEADER
    + "2024-03-01T00:00:00Z,20.0,100.0,1,1.5,ML,plain,,,,,,,,,\n"
    + '2024-03-01T01:00:00Z,20.0,100.0,1,1.5,ML,"quoted, with a\nline break",,,,,,,,,\n'
    + "2024-03-01T02:00:00Z,20.0,100.0,1,1.5,ML,after,,,,,,,,,\n"
    + "not a time,20.0,100.0,1,1.5,ML,bad,,,,,,,,,\n"
)

BATCH_SIZES = (1, 3, 7, 2000)


def _import(bureau, data: bytes, fast: bool, monkeypatch, **kwargs):
    monkeypatch.setattr(import_writer, "CSV_FAST_PATH", fast)
    return import_writer.import_file(
        bureau=bureau, fileobj=io.BytesIO(data), file_format="csv", size=len(data), **kwargs
    )


def _both(bureau, monkeypatch, files: list[bytes], **kwargs) -> tuple[dict, dict, int]:
    """Snapshots of the files imported in turn, with the fast path and without; and how
    many lines the database converted."""
    converted = 0
    real_stage = import_csv.CsvFastPath.stage

    def counting_stage(self, batch, data, *, first_line, lines):
        nonlocal converted
        refused = real_stage(self, batch, data, first_line=first_line, lines=lines)
        converted += lines - len(refused)
        return refused

    monkeypatch.setattr(import_csv.CsvFastPath, "stage", counting_stage)
    snapshots = []
    for fast in (True, False):
        EventVersion.objects.all().delete()
        Event.objects.all().delete()
        summaries = [_import(bureau, data, fast, monkeypatch, **kwargs) for data in files]
        snapshots.append(json.loads(json.dumps(_snapshot(summaries), ensure_ascii=False)))
    return snapshots[0], snapshots[1], converted


@pytest.mark.parametrize("batch_size", BATCH_SIZES)
def test_edge_lines_store_the_same_with_and_without_the_fast_path(jx, monkeypatch, batch_size):
    monkeypatch.setattr(import_csv, "_CHECK_LINES", 5)  # blocks end inside batches too
    data = EDGES.encode("utf-8")
    fast, slow, converted = _both(jx, monkeypatch, [data, data], batch_size=batch_size)
    assert fast == slow
    assert converted > 40  # the ordinary lines did go through the database
    assert fast["summaries"][0]["rejected"] > 10


@pytest.mark.parametrize("check_lines", [1, 2, 4096])
@pytest.mark.parametrize("batch_size", BATCH_SIZES)
@pytest.mark.parametrize("name", ["CENC", "SEMICOLONS", "TABS", "QUOTED"])
def test_other_layouts_store_the_same(jx, monkeypatch, batch_size, name, check_lines):
    monkeypatch.setattr(import_csv, "_CHECK_LINES", check_lines)
    data = globals()[name].encode("utf-8")
    fast, slow, converted = _both(jx, monkeypatch, [data], batch_size=batch_size)
    assert fast == slow
    if check_lines == 1:  # (a block with the quote goes to the reader whole)
        assert converted >= 1


def test_a_file_that_turns_gb18030_midway_stores_the_same(jx, monkeypatch):
    text = HEADER + "".join(
        f"2024-03-01T0{i}:00:00Z,20.0,100.{i},1,1.5,ML,第{i}个,,,,,,,,,\n" for i in range(8)
    )
    head, tail = text[: len(text) // 2].rsplit("\n", 1)[0] + "\n", text[len(text) // 2 :].split("\n", 1)[1]
    data = head.encode("utf-8") + tail.encode("gb18030")
    monkeypatch.setattr(import_csv, "_CHECK_LINES", 2)
    fast, slow, converted = _both(jx, monkeypatch, [data], batch_size=2)
    assert fast == slow
    assert fast["summaries"][0]["inserted"] == 8 - 1  # the line cut in two is not read
    assert converted >= 2


def test_a_nul_byte_midway_fails_the_file_at_its_line(jx, monkeypatch):
    monkeypatch.setattr(import_csv, "_CHECK_LINES", 2)
    data = (HEADER + "2024-03-01T00:00:00Z,20.0,100.0,1,1.5,ML,plain,,,,,,,,,\n" * 5 + "a\x00b\n").encode()
    for fast in (True, False):
        with pytest.raises(FormatError) as raised:
            _import(jx, data, fast, monkeypatch, batch_size=2)
        assert raised.value.line == 7
    assert Event.objects.count() == 0


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_golden_files_without_the_fast_path(jx, monkeypatch, name):
    """The reader alone still stores what the golden files hold (the fast path is checked
    against them by test_import_golden)."""
    options = CASES[name]
    summaries = [
        _import(jx, text.encode("utf-8"), False, monkeypatch, **options) for text in (FIRST, SECOND, SECOND)
    ]
    snapshot = json.loads(json.dumps(_snapshot(summaries), ensure_ascii=False))
    assert snapshot == json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
