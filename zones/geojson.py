"""Zones as GeoJSON for the pages' maps (static/zones/zones_map.js)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .models import DangerZone


def zone_feature(zone: DangerZone) -> dict[str, Any]:
    """A zone as a GeoJSON feature for the maps (static/zones/zones_map.js)."""
    return {
        "type": "Feature",
        "geometry": json.loads(zone.polygon.geojson),
        "properties": {
            "id": zone.pk,
            "name": f"{zone.year} {zone.name}",
            "magnitude": zone.magnitude_text,
            "level": zone.level,
            "level_label": str(zone.get_level_display()),
            "status": zone.status,
            "hit": zone.hit,
            "url": zone.get_absolute_url(),
        },
    }


def zones_geojson(zones: Iterable[DangerZone]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": [zone_feature(z) for z in zones]}
