"""The products section: missing runs are computed in the compilation, existing ones reused."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
from django.contrib.gis.geos import Point

from catalog.models import Event
from portal.tenancy import bureau_reader
from products.models import ProductRun
from tests.factories import EventFactory, ProductRunFactory
from trends.compilation import CompileContext, compile_section

BJT = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def jx_catalog(jx, settings, tmp_path):
    """Five years of Gutenberg-Richter events (b = 1 above 1.5) in Jiangxi, and some outside."""
    settings.MEDIA_ROOT = tmp_path
    rng = np.random.default_rng(7)
    n = 2500
    start = dt.datetime(2021, 11, 1, tzinfo=BJT)
    seconds = np.sort(rng.uniform(0, (dt.datetime(2026, 11, 1, tzinfo=BJT) - start).total_seconds(), n))
    lon = rng.uniform(113.6, 118.4, n)
    lat = rng.uniform(24.6, 30.0, n)
    mag = np.round(1.5 + rng.exponential(1 / np.log(10), n), 1)
    Event.objects.bulk_create(
        Event(
            bureau=jx,
            public_id=f"p-{i}",
            origin_time=start + dt.timedelta(seconds=float(seconds[i])),
            latitude=float(lat[i]),
            longitude=float(lon[i]),
            location=Point(float(lon[i]), float(lat[i]), srid=4326),
            depth_km=10.0,
            magnitude=float(mag[i]),
            status="reviewed",
            report_kind="catalog",
            is_published=True,
        )
        for i in range(n)
    )
    return jx


def compile_month(bureau, month):
    notes = []
    context = CompileContext(
        bureau=bureau,
        month=month,
        reader=bureau_reader(bureau),
        progress=lambda p, note: notes.append((p, note)),
    )
    return compile_section("products", context), notes


def test_missing_runs_are_computed_and_compared_with_last_month(jx_catalog):
    september, _notes = compile_month(jx_catalog, dt.date(2026, 9, 1))
    assert ProductRun.objects.filter(bureau=jx_catalog).count() == 3
    october, notes = compile_month(jx_catalog, dt.date(2026, 10, 1))
    assert ProductRun.objects.filter(bureau=jx_catalog).count() == 6
    assert notes[-1] == (100, "done")
    rows = {row["method"]: row for row in october.data["runs"]}
    assert set(rows) == {"bvalue", "mc", "rate_change"}
    for row in rows.values():
        assert row["status"] == "succeeded", row["error"]
        assert row["computed_now"] is True
        assert row["selection"]["jurisdiction"] is True
        assert row["selection"]["endtime"] == "2026-10-31T16:00:00"  # 11-01 00:00 Beijing time
    b_now, b_before = rows["bvalue"]["values"]["b"], rows["bvalue"]["last_month"]["values"]["b"]
    sept_rows = {row["method"]: row for row in september.data["runs"]}
    assert b_before == sept_rows["bvalue"]["values"]["b"]
    assert rows["bvalue"]["change"]["b"] == pytest.approx(b_now - b_before, abs=1e-4)
    assert rows["mc"]["last_month"]["run_id"] == sept_rows["mc"]["run_id"]
    assert rows["rate_change"]["values"]["n_cells"] > 0
    assert {f.name for f in october.figures} == {"bvalue", "mc", "rate_change"}
    assert all(f.png.startswith(b"\x89PNG") for f in october.figures)
    json.dumps(october.data, allow_nan=False)

    again, _notes = compile_month(jx_catalog, dt.date(2026, 10, 1))
    assert ProductRun.objects.filter(bureau=jx_catalog).count() == 6  # the month's runs are read, not redone
    assert {row["run_id"] for row in again.data["runs"]} == {row["run_id"] for row in october.data["runs"]}
    assert all(row["computed_now"] is False for row in again.data["runs"])


def test_a_run_without_enough_data_fails_with_its_reason(jx, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    compiled, _notes = compile_month(jx, dt.date(2026, 10, 1))
    rows = {row["method"]: row for row in compiled.data["runs"]}
    assert rows["bvalue"]["status"] == "failed"
    assert rows["bvalue"]["error"]
    assert compiled.figures == []
    again, _notes = compile_month(jx, dt.date(2026, 10, 1))
    assert ProductRun.objects.filter(bureau=jx).count() == 3  # the same events: not failed again
    assert {r["run_id"] for r in again.data["runs"]} == {r["run_id"] for r in compiled.data["runs"]}
    # a late catalog correction: the month is computed again
    EventFactory(bureau=jx, origin_time=dt.datetime(2026, 10, 5, tzinfo=BJT), longitude=116.0, latitude=27.0)
    compile_month(jx, dt.date(2026, 10, 1))
    assert ProductRun.objects.filter(bureau=jx).count() == 6


def test_the_month_s_own_run_is_read(jx, settings, tmp_path):
    """A run of the month (a schedule's, say) is listed, not computed again; one of another
    month or over a box rather than the jurisdiction is not the month's."""
    settings.MEDIA_ROOT = tmp_path
    finished = dt.datetime(2026, 10, 31, 20, tzinfo=BJT)

    def run(selection, b):
        return ProductRunFactory(
            bureau=jx,
            method="bvalue",
            status="succeeded",
            selection=selection,
            result={"b": b, "b_err": 0.05, "a": 4.0, "mc": 2.0, "n": 300},
            finished_at=finished,
            input_hash=f"h{b}",  # one stored result per input
        )

    mine = run(
        {"jurisdiction": True, "starttime": "2026-09-30T16:00:00", "endtime": "2026-10-31T10:00:00"}, 0.9
    )
    run(
        {"starttime": "2026-09-30T16:00:00", "endtime": "2026-10-31T10:00:00"}, 0.5
    )  # a box, not the jurisdiction
    run(
        {"jurisdiction": True, "starttime": "2026-10-31T16:00:00", "endtime": "2026-11-02T00:00:00"}, 0.7
    )  # November
    before = run({"jurisdiction": True, "endtime": "2026-09-30T12:00:00"}, 1.1)
    compiled, _notes = compile_month(jx, dt.date(2026, 10, 1))
    row = next(r for r in compiled.data["runs"] if r["method"] == "bvalue")
    assert row["run_id"] == mine.pk
    assert row["computed_now"] is False
    assert row["values"]["b"] == 0.9
    assert row["last_month"]["run_id"] == before.pk
    assert row["change"]["b"] == pytest.approx(-0.2)
    assert ProductRun.objects.filter(bureau=jx, method="bvalue").count() == 4
