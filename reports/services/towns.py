"""The gazetteer's towns: loading them (by GeoNames id) and naming their Chinese provinces."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from django.db import transaction

from reports.models import (
    Town,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from reports.gazetteer import GazetteerRow


def towns_load(*, rows: Iterable[GazetteerRow], batch_size: int = 2000) -> int:
    """Insert or update gazetteer towns (by GeoNames id), then name each Chinese town's
    province from the shipped province outlines. Returns how many rows were written."""
    from django.contrib.gis.geos import Point

    written = 0
    batch: list[Town] = []

    def flush() -> None:
        nonlocal written
        Town.objects.bulk_create(
            batch,
            batch_size=batch_size,
            update_conflicts=True,
            unique_fields=["geonameid"],
            update_fields=[
                "name",
                "name_zh",
                "country_code",
                "admin1_code",
                "population",
                "location",
                "updated_at",
            ],
        )
        written += len(batch)
        batch.clear()

    with transaction.atomic():
        for row in rows:
            batch.append(
                Town(
                    geonameid=row.geonameid,
                    name=row.name,
                    name_zh=row.name_zh,
                    country_code=row.country_code,
                    admin1_code=row.admin1_code,
                    population=row.population,
                    location=Point(row.longitude, row.latitude, srid=4326),
                )
            )
            if len(batch) >= batch_size:
                flush()
        if batch:
            flush()
        towns_name_provinces()
    return written


def towns_name_provinces() -> int:
    """Set ``admin1_name`` of towns in China from the province outlines in portal/data."""
    from django.contrib.gis.geos import GEOSGeometry

    from printing.maps import DATA_DIR

    updated = 0
    with open(DATA_DIR / "china_provinces.geojson", encoding="utf-8") as handle:
        features = json.load(handle)["features"]
    for feature in features:
        outline = GEOSGeometry(json.dumps(feature["geometry"]), srid=4326)
        # The outline's bounding box first (index), then the exact test on the geometry.
        updated += (
            Town.objects.filter(country_code="CN", location__bboverlaps=outline.envelope)
            .filter(location__intersects=outline)
            .update(admin1_name=feature["properties"]["name_zh"])
        )
    return updated
