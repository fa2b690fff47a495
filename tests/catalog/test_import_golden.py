"""The catalog import stores exactly what it stored before the staging-table rewrite (issue 18).

``import_golden/*.json`` were written by the import as it was (arrays through ``unnest``);
the staging import (binary COPY, then one statement on the server) must store the same
events, versions and counts, and name the same bad lines. Ids, timestamps and primary keys
are left out (they differ between runs); everything else is compared. Regenerate only on
purpose: ``IMPORT_GOLDEN_WRITE=1 pytest tests/catalog/test_import_golden.py``.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from catalog.models import Event, EventVersion
from catalog.services.import_writer import import_file

pytestmark = pytest.mark.django_db

GOLDEN = Path(__file__).parent / "import_golden"

FIRST = """time,latitude,longitude,depth,mag,magType,place,id,status,source,strike,dip,rake
2024-01-02T02:14:37.700Z,28.11,115.01,5,2.4,ML,江西宜春市上高县,ext-1,reviewed,JX,,,
2024-01-03T06:18:07Z,27.50,116.20,10,3.1,ML,江西抚州市,,reviewed,,10,80,-170
2024-01-05T23:59:30Z,26.80,114.90,8,4.3,Ms,江西吉安市,ext-3,automatic,CENC,,,
2024-01-06T00:00:00Z,26.00,114.00,,,,,,,,,,
"""

SECOND = """time,latitude,longitude,depth,mag,magType,place,id,status,source,strike,dip,rake
2024-01-02T02:14:39Z,28.12,115.02,6,2.5,ML,江西宜春市上高县,,reviewed,JX,,,
2024-01-02T02:14:37.700Z,28.11,115.01,5,2.4,ML,江西宜春市上高县,ext-1,reviewed,JX,,,
not a time,27.5,116.2,10,3.1,ML,bad,,,,,,
2024-01-03T06:18:07Z,127.50,116.20,10,3.1,ML,out of range,,,,,,
2024-01-05T23:59:31Z,26.81,114.91,8,4.4,Ms,江西吉安市 update,ext-3,reviewed,CENC,,,
2024-01-05T23:59:32Z,26.81,114.91,8,4.6,Ms,江西吉安市 automatic again,,automatic,CENC,,,
2024-02-01T00:00:00Z,30.00,117.00,12,5.0,Mw,new A,,reviewed,,,,
2024-02-01T00:00:02Z,30.01,117.01,12,5.1,Mw,new A duplicate in the file,,reviewed,,,,
2024-02-01T00:00:04Z,30.02,117.02,12,5.2,Mw,new A third,,automatic,,,,
2024-02-01T00:01:00Z,30.00,117.00,12,3.0,ML,a minute later: new,,reviewed,,,,
2024-02-02T00:00:00Z,31.00,118.00,7,2.0,ML,by id,ext-9,reviewed,,,,
2024-02-02T05:00:00Z,31.50,118.50,7,2.1,ML,by id again far away,ext-9,reviewed,,,,
2024-01-06T00:00:00Z,26.00,114.00,,,,,,,,,,
2099-01-01T00:00:00Z,26.0,114.0,1,1,ML,future,,,,,,
2024-03-01T00:00:00Z,20.0,100.0,1,1.5,ML,plain,,,,,,
"""

CASES = {
    "batch_2000": {"batch_size": 2000, "publish": True},
    "batch_3": {"batch_size": 3, "publish": True},
    "batch_2_unpublished": {"batch_size": 2, "publish": False},
}


def _run(bureau, text: str, **kwargs):
    data = text.encode("utf-8")
    return import_file(bureau=bureau, fileobj=io.BytesIO(data), file_format="csv", size=len(data), **kwargs)


def _snapshot(summaries) -> dict:
    def iso(value):
        return None if value is None else value.isoformat()

    events = [
            [
                e.bureau.code, e.public_id, e.external_id, iso(e.origin_time), e.latitude, e.longitude,
                e.location.wkt, e.depth_km, e.magnitude, e.magnitude_type, e.location_name, e.source,
                e.event_type, e.status, e.report_kind, e.is_published, e.strike, e.dip, e.rake, e.version,
                e.updated_at >= e.created_at,
            ]
        for e in Event.objects.order_by("origin_time", "latitude", "public_id")
    ]  # fmt: skip
    versions = [
            [
                v.event.public_id, v.version, iso(v.origin_time), v.latitude, v.longitude, v.depth_km,
                v.magnitude, v.magnitude_type, v.location_name, v.source, v.status, v.report_kind,
                v.strike, v.dip, v.rake, v.data_origin, v.raw_text, v.created_by_id is not None,
            ]
        for v in EventVersion.objects.select_related("event").order_by(
            "event__origin_time", "event__public_id", "version"
        )
    ]  # fmt: skip
    return {"summaries": [s.as_dict() for s in summaries], "events": events, "versions": versions}


@pytest.mark.parametrize("name", sorted(CASES))
def test_import_stores_what_it_stored_before(jx, name):
    options = CASES[name]
    summaries = [_run(jx, FIRST, **options), _run(jx, SECOND, **options), _run(jx, SECOND, **options)]
    snapshot = json.loads(json.dumps(_snapshot(summaries), ensure_ascii=False))
    path = GOLDEN / f"{name}.json"
    if os.environ.get("IMPORT_GOLDEN_WRITE") == "1":
        path.write_text(json.dumps(snapshot, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    assert snapshot == json.loads(path.read_text(encoding="utf-8"))
