"""Geometry parsing and validation shared by every app."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.contrib.gis.gdal import GDALException
from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPolygon, Polygon
from django.utils.translation import gettext as _

from .exceptions import InvalidInput

DATA_DIR = Path(__file__).resolve().parent / "data"


def parse_area(value: Any, *, field: str) -> MultiPolygon:
    """A Polygon or MultiPolygon from GeoJSON (text or dict) in WGS84, valid, on Earth.

    Raises InvalidInput saying why: not GeoJSON, wrong type, self-intersecting,
    coordinates off the globe.
    """
    if isinstance(value, (dict, list)):
        value = json.dumps(value)
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(_("Expected a GeoJSON Polygon or MultiPolygon."), field=field)
    # GEOS and GDAL speak English with their own words ("GEOSWKBReader_read_r", "Invalid
    # geometry pointer"): the reader gets a message of ours, in their language, saying what to fix.
    try:
        json.loads(value)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            _("Not valid GeoJSON: the text is not JSON (line %(line)d, column %(column)d).")
            % {"line": exc.lineno, "column": exc.colno},
            field=field,
        ) from None
    try:
        geometry = GEOSGeometry(value, srid=4326)
    except (GEOSException, GDALException, ValueError, TypeError):
        raise InvalidInput(
            _(
                "Not valid GeoJSON geometry: a Polygon or MultiPolygon needs its coordinates as "
                "[longitude, latitude] pairs, each ring closed (its last point equal to its first)."
            ),
            field=field,
        ) from None
    if isinstance(geometry, Polygon):
        geometry = MultiPolygon(geometry, srid=4326)
    if not isinstance(geometry, MultiPolygon):
        raise InvalidInput(
            _("Expected a Polygon or MultiPolygon, got %(type)s.") % {"type": geometry.geom_type},
            field=field,
        )
    if geometry.empty:
        raise InvalidInput(_("The area is empty."), field=field)
    xmin, ymin, xmax, ymax = geometry.extent
    if xmin < -180 or xmax > 180 or ymin < -90 or ymax > 90:
        raise InvalidInput(
            _("Coordinates must be longitude -180..180 and latitude -90..90 (got %(extent)s).")
            % {"extent": ", ".join(f"{v:g}" for v in geometry.extent)},
            field=field,
        )
    if not geometry.valid:
        raise InvalidInput(invalid_reason(geometry.valid_reason), field=field)
    geometry.srid = 4326
    return geometry


_REASON_POINT = re.compile(r"\[\s*(-?[\d.eE+-]+)\s+(-?[\d.eE+-]+)")


def invalid_reason(reason: str) -> str:
    """GEOS's ``valid_reason`` ("Self-intersection[116 27.5]") as a message in the reader's language.

    Only the kind of fault is taken from GEOS, and the point where it lies; the words are ours.
    """
    found = _REASON_POINT.search(reason)
    near = {"point": f"{float(found.group(1)):.4f}, {float(found.group(2)):.4f}"} if found else None
    if "Self-intersection" in reason:
        if near:
            return (
                _(
                    "The area is not a valid polygon: its outline crosses itself near %(point)s. "
                    "Draw the boundary so that no two edges cross."
                )
                % near
            )
        return _("The area is not a valid polygon: its outline crosses itself.")
    if reason.startswith("Too few points"):
        return _("The area is not a valid polygon: a ring has fewer than three distinct corners.")
    if reason.startswith(
        ("Hole lies outside shell", "Nested shells", "Nested holes", "Interior is disconnected")
    ):
        return _("The area is not a valid polygon: its parts or holes overlap or lie outside one another.")
    if near:
        return _("The area is not a valid polygon: its outline is malformed near %(point)s.") % near
    return _("The area is not a valid polygon: its outline is malformed.")


@lru_cache(maxsize=1)
def china_outline() -> MultiPolygon:
    """China as the portal ships it (``portal/data``): the 31 provincial units and Taiwan,
    Hong Kong and Macao, one polygon per part (not dissolved: a test of a point or an area
    against it needs no union). Land only: the coastal seas are the caller's margin."""
    polygons: list[Polygon] = []
    for name in ("china_provinces.geojson", "china_other_regions.geojson"):
        with open(DATA_DIR / name, encoding="utf-8") as handle:
            for feature in json.load(handle)["features"]:
                geometry = GEOSGeometry(json.dumps(feature["geometry"]), srid=4326)
                polygons.extend(geometry if isinstance(geometry, MultiPolygon) else [geometry])
    return MultiPolygon(*polygons, srid=4326)
