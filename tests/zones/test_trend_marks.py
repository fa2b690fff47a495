"""The monthly trend report marks the quakes that fell inside a danger zone (the zones app
fills trends' marker registry; imports run one way)."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.tenancy import bureau_reader
from tests.factories import EventFactory
from trends.compilation import CompileContext, compile_section
from trends.rendering import data_blocks

from .conftest import square

pytestmark = pytest.mark.django_db

BJT = dt.timezone(dt.timedelta(hours=8))


def test_quakes_inside_a_zone_are_marked_in_the_seismicity_section(cenc, jx, make_zone):
    zone = make_zone(
        cenc, year=2026, name="赣中危险区", polygon=square(114.0, 27.0, 116.0, 29.0), min_m="5.0", max_m="6.9"
    )
    make_zone(cenc, year=2025, name="去年的区", polygon=square(114.0, 27.0, 116.0, 29.0))
    make_zone(cenc, year=2026, name="草稿区", status="draft", polygon=square(114.0, 27.0, 116.0, 29.0))
    inside = EventFactory(
        bureau=jx,
        origin_time=dt.datetime(2026, 10, 5, 12, tzinfo=BJT),
        longitude=115.0,
        latitude=28.0,
        magnitude=3.6,
    )
    EventFactory(
        bureau=jx,
        origin_time=dt.datetime(2026, 10, 6, 12, tzinfo=BJT),
        longitude=117.5,
        latitude=28.0,
        magnitude=4.1,
    )
    compiled = compile_section(
        "seismicity", CompileContext(bureau=jx, month=dt.date(2026, 10, 1), reader=bureau_reader(jx))
    )
    rows = compiled.data["in_zones"]
    assert [r["id"] for r in rows] == [inside.public_id]
    assert rows[0]["zones"] == [
        {"id": zone.pk, "name": "赣中危险区", "url": f"/zones/{zone.pk}/", "in_range": False}
    ]
    largest = {r["id"]: r["zones"] for r in compiled.data["largest"]}
    assert largest[inside.public_id][0]["id"] == zone.pk
    assert [z for r in compiled.data["largest"] if r["id"] != inside.public_id for z in r["zones"]] == []
    blocks = data_blocks("seismicity", compiled.data)
    table = next(b for b in blocks if b.rows and any("赣中危险区" in str(c) for row in b.rows for c in row))
    assert table is not None
