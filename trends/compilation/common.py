"""What several sections share: an event as JSON, GeoJSON rings, map extents, plain plots."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from portal.timefmt import BEIJING
from printing.maps import pyplot

if TYPE_CHECKING:
    from collections.abc import Sequence

    from catalog.models import Event
    from portal.models import Bureau


def event_row(event: Event) -> dict[str, Any]:
    """An event as the sections list it (the catalog API calls ``public_id`` "id")."""
    return {
        "id": event.public_id,
        "origin_time": event.origin_time.astimezone(BEIJING).isoformat(),
        "magnitude": float(event.magnitude) if event.magnitude is not None else None,
        "magnitude_type": event.magnitude_type,
        "location_name": event.location_name,
        "latitude": event.latitude,
        "longitude": event.longitude,
        "depth": event.depth_km,
    }


def rings_of(geometry: dict[str, Any]) -> list[list[tuple[float, float]]]:
    """Outer rings of a GeoJSON Polygon or MultiPolygon, as (lon, lat) tuples."""
    if geometry.get("type") == "Polygon":
        return [[(p[0], p[1]) for p in geometry["coordinates"][0]]]
    if geometry.get("type") == "MultiPolygon":
        return [[(p[0], p[1]) for p in polygon[0]] for polygon in geometry["coordinates"]]
    return []


def jurisdiction_geojson(bureau: Bureau) -> dict[str, Any] | None:
    return json.loads(bureau.jurisdiction.geojson) if bureau.jurisdiction is not None else None


def extent_of(
    rings: list[list[tuple[float, float]]],
    points: Sequence[tuple[float, float]] = (),
    pad: float = 0.6,
) -> tuple[float, float, float, float]:
    xs = [p[0] for ring in rings for p in ring] + [p[0] for p in points]
    ys = [p[1] for ring in rings for p in ring] + [p[1] for p in points]
    if not xs:
        return (73.0, 135.0, 18.0, 54.0)
    margin = max(pad, (max(xs) - min(xs)) * 0.08, (max(ys) - min(ys)) * 0.08)
    return (min(xs) - margin, max(xs) + margin, min(ys) - margin, max(ys) + margin)


def magnitude_size(magnitude: float | None) -> float:
    """Marker area (points²) growing with the magnitude."""
    m = magnitude if magnitude is not None else 0.0
    return float(max(4.0, 3.0 * 2.2 ** max(m, 0.0)))


def new_plot(size: tuple[float, float] = (7.0, 3.6)) -> tuple[Any, Any]:
    figure, axes = pyplot().subplots(figsize=size)
    return figure, axes
