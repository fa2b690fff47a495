"""Geometry parsing and validation shared by every app."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.gis.gdal import GDALException
from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPolygon, Polygon
from django.utils.translation import gettext as _

from .exceptions import InvalidInput


def parse_area(value: Any, *, field: str) -> MultiPolygon:
    """A Polygon or MultiPolygon from GeoJSON (text or dict) in WGS84, valid, on Earth.

    Raises InvalidInput saying why: not GeoJSON, wrong type, self-intersecting,
    coordinates off the globe.
    """
    if isinstance(value, (dict, list)):
        value = json.dumps(value)
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(_("Expected a GeoJSON Polygon or MultiPolygon."), field=field)
    try:
        geometry = GEOSGeometry(value, srid=4326)
    except (GEOSException, GDALException, ValueError, TypeError) as exc:
        raise InvalidInput(
            _("Not valid GeoJSON geometry: %(error)s") % {"error": str(exc) or exc.__class__.__name__},
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
        raise InvalidInput(
            _("The area is not a valid polygon: %(reason)s") % {"reason": geometry.valid_reason},
            field=field,
        )
    geometry.srid = 4326
    return geometry
