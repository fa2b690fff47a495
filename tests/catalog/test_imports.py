"""Catalog imports: duplicates update, re-import is idempotent, bad rows are reported, bad files store nothing."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command

from catalog.formats import FormatError
from catalog.models import Event, EventVersion
from catalog.services.import_writer import import_file

pytestmark = pytest.mark.django_db

CENC_CSV = """发震日期,发震时刻,纬度(°),经度(°),深度(km),震级,事件类型,参考地点
2024-01-02,10:14:37.7,28.11,115.01,5,ML2.4,天然地震,江西宜春市上高县
2024-01-03,06:18:07.0,27.50,116.20,10,ML3.1,天然地震,江西抚州市
2024-01-05,23:59:30.0,26.80,114.90,8,Ms4.3,天然地震,江西吉安市
"""


def run(bureau, text: str, file_format: str = "csv", **kwargs):
    data = text.encode("utf-8")
    return import_file(
        bureau=bureau, fileobj=io.BytesIO(data), file_format=file_format, size=len(data), **kwargs
    )


def test_cenc_layout_imports_with_beijing_time(jx):
    summary = run(jx, CENC_CSV)
    assert (summary.inserted, summary.updated, summary.rejected) == (3, 0, 0)
    first = Event.objects.get(location_name="江西宜春市上高县")
    # 10:14:37.7 Beijing = 02:14:37.7 UTC
    assert first.origin_time == datetime(2024, 1, 2, 2, 14, 37, 700000, tzinfo=UTC)
    assert (first.magnitude, first.magnitude_type, first.depth_km) == (2.4, "ML", 5.0)
    assert first.is_published
    assert first.versions.count() == 1


def test_reimport_is_idempotent(jx):
    run(jx, CENC_CSV)
    again = run(jx, CENC_CSV)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    assert Event.objects.count() == 3
    assert EventVersion.objects.count() == 3


def test_a_nearby_solution_updates_the_event_as_a_new_version(jx):
    run(jx, CENC_CSV)
    # 3 s later and about 4 km away, magnitude revised: the same quake
    revised = (
        CENC_CSV.splitlines()[0] + "\n2024-01-02,10:14:40.7,28.14,115.02,6,ML2.6,天然地震,江西宜春市上高县\n"
    )
    summary = run(jx, revised)
    assert (summary.inserted, summary.updated) == (0, 1)
    event = Event.objects.get(location_name="江西宜春市上高县")
    assert (event.magnitude, event.version) == (2.6, 2)
    assert list(event.versions.order_by("version").values_list("magnitude", flat=True)) == [2.4, 2.6]


def test_far_or_late_solutions_are_new_events(jx):
    run(jx, CENC_CSV)
    other = (
        CENC_CSV.splitlines()[0]
        + "\n2024-01-02,10:14:50.0,28.11,115.01,5,ML2.0,天然地震,a\n"
        + ("2024-01-02,10:14:38.0,28.30,115.01,5,ML2.0,天然地震,b\n")
    )
    summary = run(jx, other)
    assert summary.inserted == 2


def test_duplicates_are_kept_per_bureau(jx, nm):
    run(jx, CENC_CSV)
    summary = run(nm, CENC_CSV)
    assert summary.inserted == 3
    assert Event.objects.filter(bureau=nm).count() == 3


def test_duplicates_inside_one_file_fold_into_one_event(jx):
    text = CENC_CSV.splitlines()[0] + (
        "\n2024-01-02,10:14:37.7,28.11,115.01,5,ML2.4,天然地震,x\n2024-01-02,10:14:38.7,28.12,115.01,5,ML2.5,天然地震,x\n"
    )
    summary = run(jx, text, batch_size=10)
    assert (summary.inserted, summary.updated) == (1, 1)
    assert Event.objects.get().magnitude == 2.5


def test_bad_rows_are_rejected_with_line_and_reason(jx):
    text = (
        CENC_CSV
        + "2024-13-40,10:00:00,28,115,5,ML2,天然地震,bad date\n2024-01-09,10:00:00,95,115,5,ML2,天然地震,bad lat\n"
    )
    summary = run(jx, text)
    assert (summary.inserted, summary.rejected) == (3, 2)
    assert [e["line"] for e in summary.errors] == [5, 6]
    assert summary.errors[1]["reason"] == "latitude '95' is out of range -90..90"


def test_a_file_without_header_stores_nothing(jx):
    with pytest.raises(FormatError) as problem:
        run(jx, "hello,world\n1,2\n")
    assert problem.value.line == 1
    assert Event.objects.count() == 0


def test_broken_quakeml_stores_nothing_and_names_the_line(jx):
    xml = (
        '<?xml version="1.0"?>\n<q:quakeml xmlns:q="http://quakeml.org/xmlns/quakeml/1.2" '
        'xmlns="http://quakeml.org/xmlns/bed/1.2">\n<eventParameters publicID="smi:x">\n<event publicID="smi:e1">\n'
        "</eventParameters>\n</q:quakeml>\n"
    )
    with pytest.raises(FormatError) as problem:
        run(jx, xml, "quakeml")
    assert "line" in problem.value.message
    assert Event.objects.count() == 0


def test_a_fatal_error_after_batches_were_stored_rolls_everything_back(jx):
    """Batches already written in the transaction go too when the file turns out unreadable."""

    def rows():
        from catalog.formats import read_csv

        yield from read_csv(io.StringIO(CENC_CSV))
        raise FormatError("broken at the end", line=99)

    from django.db import transaction

    from catalog.services.import_writer import import_rows

    with pytest.raises(FormatError), transaction.atomic():
        import_rows(bureau=jx, rows=rows(), batch_size=1)
    assert Event.objects.count() == 0


def test_quakeml_round_trip_imports_origins(jx):
    from catalog.formats import write_quakeml

    xml = b"".join(
        write_quakeml(
            [
                {
                    "id": "us7000abcd",
                    "time": datetime(2024, 3, 1, 1, 2, 3, tzinfo=UTC),
                    "latitude": 28.0,
                    "longitude": 115.0,
                    "depth_km": 12.0,
                    "magnitude": 4.1,
                    "magnitude_type": "Mw",
                    "location_name": "somewhere",
                }
            ]
        )
    ).decode()
    summary = run(jx, xml, "quakeml")
    assert summary.inserted == 1
    event = Event.objects.get()
    assert (event.depth_km, event.magnitude_type, event.external_id) == (
        12.0,
        "Mw",
        "smi:ispec/event/us7000abcd",
    )
    assert run(jx, xml, "quakeml").unchanged == 1


def test_fdsn_text_imports(jx):
    text = (
        "#EventID|Time|Latitude|Longitude|Depth/km|Author|Catalog|Contributor|ContributorID|MagType|Magnitude|MagAuthor|EventLocationName\n"
        "e1|2024-02-01T00:00:00|28.0|115.0|10.0|CENC|CENC|CENC|e1|ML|3.0|CENC|Jiangxi\n"
        "e2|2024-02-01T00:00:00|bad|115.0|10.0|CENC|CENC|CENC|e2|ML|3.0|CENC|Jiangxi\n"
    )
    summary = run(jx, text, "text")
    assert (summary.inserted, summary.rejected) == (1, 1)
    assert summary.errors[0]["line"] == 3


def test_management_command_prints_a_summary(jx, tmp_path):
    path = tmp_path / "cenc.csv"
    path.write_text(CENC_CSV, encoding="utf-8")
    out = io.StringIO()
    call_command("import_events", str(path), "--bureau", "JX", "--json", stdout=out, verbosity=0)
    result = json.loads(out.getvalue())
    assert (result["inserted"], result["rejected"]) == (3, 0)


def test_management_command_names_the_line_of_a_fatal_error(jx, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("nothing,useful\n", encoding="utf-8")
    with pytest.raises(CommandError, match="line 1"):
        call_command("import_events", str(path), "--bureau", "JX", verbosity=0)
