"""Importing IAGA-2002 and CSV files: values back exactly (float32), all or nothing per
file with the line named, out-of-range values stored and flagged, re-import replaces."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from observations.importers import FormatError
from observations.models import SeriesDay
from observations.series_selectors import series_samples
from observations.services.series_import import series_import_file
from portal.exceptions import PermissionDenied
from portal.models import AuditEvent
from tests.observations.factories import (
    ChannelFactory,
    ObservationItemFactory,
    StationFactory,
    geomagnetic_item,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """The messages checked here are the English ones (the zh ones are in the .po)."""
    from django.utils import translation

    with translation.override("en"):
        yield


T0 = dt.datetime(2025, 4, 11, tzinfo=dt.UTC)


def header(code: str = "JXG", interval: str = "Average 1-Minute (00:30-01:29)") -> list[str]:
    def record(key: str, value: str) -> str:
        return f" {key:<23}{value}".ljust(69) + "|"

    return [
        record("Format", "IAGA-2002"),
        record("Source of Data", "test"),
        record("Station Name", "Test"),
        record("IAGA CODE", code),
        record("Reported", "HDZF"),
        record("Data Interval Type", interval),
        " # a comment".ljust(69) + "|",
    ]


def iaga(rows: list[tuple[dt.datetime, list[float]]], code: str = "JXG", elements: str = "HZ", **kw) -> bytes:
    lines = header(code, **kw)
    lines.append(
        "DATE       TIME         DOY     "
        + "".join(f"{code + e:<10}" for e in elements).rstrip().ljust(36)
        + "|"
    )
    for when, values in rows:
        doy = when.timetuple().tm_yday
        lines.append(f"{when:%Y-%m-%d %H:%M:%S}.000 {doy:03d}   " + "".join(f"{v:10.2f}" for v in values))
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def observatory(jx):
    station = StationFactory(bureau=jx, code="JXG", kind="geomagnetic")
    h = ChannelFactory(station=station, item=geomagnetic_item("H"), plausible_min=30000, plausible_max=45000)
    z = ChannelFactory(station=station, item=geomagnetic_item("Z"))
    return station, h, z


def _minutes(n: int) -> list[dt.datetime]:
    return [T0 + dt.timedelta(minutes=i) for i in range(n)]


def _read(channel, viewer, as_actor, minutes: int = 1440) -> np.ndarray:
    return series_samples(
        actor=as_actor(viewer, "JX"), channel=channel, start=T0, end=T0 + dt.timedelta(minutes=minutes)
    )


def test_an_iaga_file_comes_back_exactly_with_its_gaps(jx, observatory, jx_viewer, as_actor):
    _, h, z = observatory
    rng = np.random.default_rng(3)
    hs = np.round(38000 + rng.standard_normal(180), 2)
    zs = np.round(45000 + rng.standard_normal(180), 2)
    rows = [(t, [hs[i], zs[i]]) for i, t in enumerate(_minutes(180))]
    rows[10] = (rows[10][0], [99999.0, zs[10]])  # missing H
    rows[11] = (rows[11][0], [hs[11], 88888.0])  # not computed Z
    summary = series_import_file(bureau=jx, data=iaga(rows), file_format="iaga2002", actor=None)
    assert summary.samples_stored == 2 * 180 - 2
    assert sorted(summary.channels_touched) == sorted([h.pk, z.pk])
    back_h = _read(h, jx_viewer, as_actor, 180)
    expected_h = hs.astype(np.float32)
    expected_h[10] = np.nan
    # float32 storage: equal to the file's values rounded to float32
    assert np.array_equal(back_h, expected_h, equal_nan=True)
    assert np.isnan(_read(z, jx_viewer, as_actor, 180)[11])


def test_a_csv_file_comes_back_exactly(jx, jx_viewer, as_actor):
    well = ChannelFactory(station__bureau=jx, station__code="JX001")
    temp = ChannelFactory(
        station=well.station,
        item=ObservationItemFactory(code="WT", name_zh="水温", name_en="water temperature", unit="°C"),
    )
    lines = [f"time,JX001:WL,{temp.pk}"]
    for i, t in enumerate(_minutes(120)):
        lines.append(
            f"{t:%Y-%m-%dT%H:%M:%SZ},{-12.5 + i * 0.0001:.4f},{'' if i == 7 else f'{21.3 + i / 1000:.3f}'}"
        )
    series_import_file(bureau=jx, data="\n".join(lines).encode(), file_format="csv", actor=None)
    back = _read(well, jx_viewer, as_actor, 120)
    assert np.array_equal(back, np.array([-12.5 + i * 0.0001 for i in range(120)], dtype=np.float32))
    temps = _read(temp, jx_viewer, as_actor, 120)
    assert np.isnan(temps[7])
    assert temps[8] == np.float32(21.308)


def test_reimport_replaces_the_range_and_notes_history(jx, observatory, jx_viewer, as_actor):
    _, h, _z = observatory
    first = [(t, [38000.0, 45000.0]) for t in _minutes(60)]
    series_import_file(bureau=jx, data=iaga(first), file_format="iaga2002", actor=None, source="first")
    second = [(t, [38001.5, 45001.5]) for t in _minutes(60)]
    series_import_file(bureau=jx, data=iaga(second), file_format="iaga2002", actor=None, source="second")
    assert np.all(_read(h, jx_viewer, as_actor, 60) == np.float32(38001.5))
    assert SeriesDay.objects.filter(channel=h).count() == 1
    notes = AuditEvent.objects.filter(action="channel.series_written", target_id=str(h.pk)).order_by("id")
    assert [(n.comment, n.extra["replaced"]) for n in notes] == [("first", False), ("second", True)]


def test_out_of_range_values_are_stored_and_flagged(jx, observatory, jx_viewer, as_actor):
    _, h, _z = observatory
    rows = [(t, [38000.0, 45000.0]) for t in _minutes(30)]
    rows[4] = (rows[4][0], [50000.0, 45000.0])
    rows[20] = (rows[20][0], [1000.0, 45000.0])
    summary = series_import_file(bureau=jx, data=iaga(rows), file_format="iaga2002", actor=None)
    first_data_line = len(header()) + 2
    assert summary.flagged == 2
    assert summary.flagged_lines == [first_data_line + 4, first_data_line + 20]
    assert _read(h, jx_viewer, as_actor, 30)[4] == np.float32(50000.0)


def _good_rows(n: int = 10) -> list[tuple[dt.datetime, list[float]]]:
    return [(t, [38000.0, 45000.0]) for t in _minutes(n)]


DATA = len(header()) + 2  # line number of the first data line


def _malformed() -> list[tuple[str, bytes, str, int]]:
    good = iaga(_good_rows()).decode().splitlines()
    cases = []
    bad = good.copy()
    bad[DATA + 2] = bad[DATA + 2][:30] + " x"  # a short line
    cases.append(("malformed line", "\n".join(bad).encode(), "fields", DATA + 3))
    bad = good.copy()
    bad[DATA + 4], bad[DATA + 5] = bad[DATA + 5], bad[DATA + 4]
    cases.append(("out of order", "\n".join(bad).encode(), "out of order", DATA + 6))
    bad = good.copy()
    bad[DATA + 6] = bad[DATA + 6].replace(":07:00.000", ":07:30.000")
    cases.append(("off the interval", "\n".join(bad).encode(), "interval", DATA + 7))
    bad = good.copy()
    bad[DATA + 1] = bad[DATA + 1].replace("38000.00", "38OOO.00")
    cases.append(("not a number", "\n".join(bad).encode(), "not a number", DATA + 2))
    cases.append(("unknown station", iaga(_good_rows(), code="XXX"), "no such channel", DATA - 1))
    cases.append(
        ("NUL byte", "\n".join([*good[: DATA + 3], "\x00", *good[DATA + 3 :]]).encode(), "NUL", DATA + 4)
    )
    bad_bytes = "\n".join(good).encode().replace(b"38000.00", b"38000.0\xff", 1)
    cases.append(("not UTF-8", bad_bytes, "UTF-8", DATA))
    return cases


@pytest.mark.parametrize(("name", "data", "message", "line"), _malformed(), ids=[c[0] for c in _malformed()])
def test_a_bad_file_is_refused_with_its_line_and_nothing_is_stored(
    jx, observatory, name, data, message, line
):
    with pytest.raises(FormatError) as problem:
        series_import_file(bureau=jx, data=data, file_format="iaga2002", actor=None)
    assert problem.value.line == line, str(problem.value)
    assert message in str(problem.value)
    assert str(problem.value).startswith(f"line {line}: ")
    # the Z column (a good channel of the same file) was not stored either
    assert not SeriesDay.objects.exists()


def test_a_bad_line_after_a_good_channel_stores_nothing(jx, jx_viewer, as_actor):
    """The second column's channel has an hourly interval: the check fails after the first
    channel was written, and the transaction takes it back."""
    well = ChannelFactory(station__bureau=jx, station__code="JX001")
    hourly = ChannelFactory(
        station=well.station,
        interval=3600,
        item=ObservationItemFactory(code="RN_W", name_zh="水氡", name_en="radon", unit="Bq/L"),
    )
    lines = ["time,JX001:WL,JX001:RN_W"] + [f"{t:%Y-%m-%dT%H:%M:%S},1.0,2.0" for t in _minutes(3)]
    with pytest.raises(FormatError) as problem:
        series_import_file(bureau=jx, data="\n".join(lines).encode(), file_format="csv", actor=None)
    assert problem.value.line == 3
    assert not SeriesDay.objects.filter(channel__in=[well, hourly]).exists()


def test_declared_interval_must_match_the_channel(jx, observatory):
    with pytest.raises(FormatError, match="declares a 1 s interval") as problem:
        series_import_file(
            bureau=jx, data=iaga(_good_rows(), interval="1-Second"), file_format="iaga2002", actor=None
        )
    assert problem.value.line == 6
    assert not SeriesDay.objects.exists()


def test_too_large_and_cea_files_are_refused(jx, observatory, settings):
    settings.SERIES_MAX_UPLOAD_BYTES = 100
    with pytest.raises(FormatError, match="at most"):
        series_import_file(bureau=jx, data=iaga(_good_rows()), file_format="iaga2002", actor=None)
    settings.SERIES_MAX_UPLOAD_BYTES = 10**6
    with pytest.raises(FormatError, match="no published description"):
        series_import_file(bureau=jx, data=b"anything\n", file_format="cea", actor=None)


def test_an_expert_of_another_discipline_may_not_import(jx, observatory, jx_expert, as_actor):
    """jx_expert is a fluids expert; geomagnetism is electromagnetism's."""
    with pytest.raises(PermissionDenied):
        series_import_file(
            bureau=jx, data=iaga(_good_rows()), file_format="iaga2002", actor=as_actor(jx_expert, "JX")
        )
    assert not SeriesDay.objects.exists()


def test_another_bureaus_channel_is_unknown(jx, nm, observatory):
    with pytest.raises(FormatError, match="no such channel"):
        series_import_file(bureau=nm, data=iaga(_good_rows()), file_format="iaga2002", actor=None)


def test_a_single_column_csv_goes_to_the_chosen_channel(jx, jx_viewer, as_actor):
    well = ChannelFactory(station__bureau=jx)
    data = b"time,value\n2025-04-11T08:00:00+08:00,1.25\n2025-04-11T08:02:00+08:00,1.5\n"
    summary = series_import_file(bureau=jx, data=data, file_format="csv", actor=None, channel=well)
    assert summary.channels_touched == [well.pk]
    back = _read(well, jx_viewer, as_actor, 3)  # Beijing 08:00 is 00:00 UTC
    assert np.array_equal(back, np.array([1.25, np.nan, 1.5], dtype=np.float32), equal_nan=True)


def test_progress_is_reported_while_reading_and_writing(jx, observatory, monkeypatch):
    from observations.importers import common

    monkeypatch.setattr(common, "PROGRESS_EVERY", 100)
    from observations.importers import iaga2002

    monkeypatch.setattr(iaga2002, "PROGRESS_EVERY", 100)
    seen: list[int] = []
    series_import_file(
        bureau=jx,
        data=iaga([(t, [38000.0, 45000.0]) for t in _minutes(1000)]),
        file_format="iaga2002",
        actor=None,
        progress=lambda s: seen.append(s.progress),
    )
    assert seen == sorted(seen)
    assert seen[-1] == 100
    assert any(0 < p < 50 for p in seen)
    assert 75 in seen
