"""Rows the scale-out benchmarks need, made in the benchmark's own database (run in the
portal's environment: ``procs.portal_env``). Prints one JSON line with their ids.

    python bench/scale/seed.py [--events N]

JX (a provincial bureau) with the forecaster ``scale`` (password ``scale-pass-2026``), a
catalog import whose original file lies under PORTAL_MEDIA_ROOT (the file that nginx sends
through X-Accel-Redirect) and, with ``--events``, N published events loaded with COPY.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import django

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE.parent)]
django.setup()

from django.contrib.gis.geos import MultiPolygon, Polygon  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402

from catalog.models import EventImport  # noqa: E402
from portal.models import Bureau, Membership, User  # noqa: E402

PASSWORD = "scale-pass-2026"
FILE_BODY = b"time,latitude,longitude,depth,mag\n2024-05-01T12:00:00Z,28.0,115.0,10,3.0\n" * 2000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=0)
    args = parser.parse_args()
    jx, _ = Bureau.objects.get_or_create(
        code="JX",
        defaults={
            "name_zh": "江西省地震局",
            "name_en": "Jiangxi",
            "kind": "provincial",
            "jurisdiction": MultiPolygon(Polygon.from_bbox((113.5, 24.5, 118.5, 30.1)), srid=4326),
        },
    )
    user = User.objects.filter(username="scale").first()
    if user is None:
        user = User.objects.create_user(username="scale", password=PASSWORD)
        Membership.objects.create(user=user, bureau=jx, role="forecaster")
    record = EventImport.objects.filter(bureau=jx).first()
    if record is None:
        record = EventImport(bureau=jx, filename="scale.csv", format="csv", status="done", created_by=user)
        record.file.save("scale.csv", ContentFile(FILE_BODY), save=False)
        record.size_bytes = len(FILE_BODY)
        record.save()
    if args.events:
        from bench.products_engine_bench import load_events

        load_events(args.events, jx.pk)
    print(json.dumps({"bureau": jx.pk, "user": user.pk, "import": record.pk, "file_bytes": len(FILE_BODY)}))


if __name__ == "__main__":
    main()
