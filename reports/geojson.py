"""Reading a bureau's GIS layer from an uploaded GeoJSON file (RFC 7946), feature by feature.

Every problem is reported with the index of the feature it is in and what is
wrong, so the person uploading can fix the file: ``features[12]: coordinates
[200.0, 30.0] are outside longitude -180..180``. Nothing is stored unless the
whole file is good.

Pure: parses with the standard library and builds GEOS geometries; no database.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from django.contrib.gis.geos import GEOSException, GEOSGeometry
from django.utils.translation import gettext as _

GEOMETRY_TYPES = {
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
}
# Deepest array nesting of "coordinates" for each type: Point [x, y] is 1, Polygon 3.
COORDINATE_DEPTH = {
    "Point": 1,
    "MultiPoint": 2,
    "LineString": 2,
    "MultiLineString": 3,
    "Polygon": 3,
    "MultiPolygon": 4,
}
MAX_PROPERTY_BYTES = 8_000


class GeoJSONError(ValueError):
    """A file that is not a usable layer; ``index`` is the feature's position when one is at fault."""

    def __init__(self, message: str, *, index: int | None = None) -> None:
        self.index = index
        self.reason = message
        prefix = f"features[{index}]: " if index is not None else ""
        super().__init__(prefix + message)


@dataclass
class ParsedFeature:
    geometry: GEOSGeometry
    properties: dict[str, Any]
    name: str


def _positions(coords: Any, depth: int, index: int) -> None:
    """Check a coordinates array is nested ``depth`` deep and every position is a valid lon/lat."""
    if depth == 1:
        if not isinstance(coords, list) or len(coords) < 2:
            raise GeoJSONError(_("a position needs at least [longitude, latitude]"), index=index)
        lon, lat = coords[0], coords[1]
        for value in (lon, lat):
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise GeoJSONError(
                    _("coordinates %(c)s are not numbers") % {"c": json.dumps(coords[:3])}, index=index
                )
        if not -180.0 <= lon <= 180.0:
            raise GeoJSONError(
                _("coordinates %(c)s are outside longitude -180..180") % {"c": json.dumps(coords[:3])},
                index=index,
            )
        if not -90.0 <= lat <= 90.0:
            raise GeoJSONError(
                _("coordinates %(c)s are outside latitude -90..90") % {"c": json.dumps(coords[:3])},
                index=index,
            )
        return
    if not isinstance(coords, list) or not coords:
        raise GeoJSONError(_("coordinates are empty or not nested as the geometry type needs"), index=index)
    for item in coords:
        _positions(item, depth - 1, index)


def _geometry(data: Any, index: int) -> GEOSGeometry:
    if not isinstance(data, dict):
        raise GeoJSONError(_("the feature has no geometry"), index=index)
    kind = data.get("type")
    if kind not in GEOMETRY_TYPES:
        raise GeoJSONError(
            _("unknown geometry type %(type)s") % {"type": json.dumps(kind, ensure_ascii=False)}, index=index
        )
    if kind == "GeometryCollection":
        members = data.get("geometries")
        if not isinstance(members, list) or not members:
            raise GeoJSONError(_("a GeometryCollection needs a non-empty geometries list"), index=index)
        for member in members:
            _geometry(member, index)
    else:
        _positions(data.get("coordinates"), COORDINATE_DEPTH[kind], index)
    try:
        geometry = GEOSGeometry(json.dumps(data), srid=4326)
    except (GEOSException, ValueError, TypeError) as exc:
        raise GeoJSONError(
            _("the geometry cannot be read: %(error)s") % {"error": exc}, index=index
        ) from None
    if geometry.empty:
        raise GeoJSONError(_("the geometry is empty"), index=index)
    if not geometry.valid:
        raise GeoJSONError(
            _("the geometry is not valid: %(reason)s") % {"reason": geometry.valid_reason}, index=index
        )
    return geometry


def feature_name(properties: dict[str, Any]) -> str:
    """The feature's name from the usual property keys (name, 名称, NAME ...), else ''."""
    for key in ("name_zh", "name", "名称", "NAME", "Name", "title", "label"):
        value = properties.get(key)
        if value not in (None, ""):
            return str(value)[:200]
    return ""


def parse_layer(raw: bytes | str, *, max_features: int) -> list[ParsedFeature]:
    """Parse a GeoJSON FeatureCollection (or a single Feature) into features.

    Raises GeoJSONError naming the feature index and the reason for the first
    problem found. Coordinates must be WGS84 longitude/latitude (RFC 7946 §4).
    """
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise GeoJSONError(_("the file is not UTF-8 text (byte %(pos)s)") % {"pos": exc.start}) from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise GeoJSONError(
            _("the file is not JSON: %(msg)s at line %(line)s column %(col)s")
            % {"msg": exc.msg, "line": exc.lineno, "col": exc.colno}
        ) from None
    if not isinstance(data, dict):
        raise GeoJSONError(_("the file must hold a GeoJSON object"))
    if data.get("type") == "Feature":
        data = {"type": "FeatureCollection", "features": [data]}
    if data.get("type") != "FeatureCollection":
        raise GeoJSONError(
            _("expected a FeatureCollection, found type %(type)s")
            % {"type": json.dumps(data.get("type"), ensure_ascii=False)}
        )
    crs = data.get("crs")
    if isinstance(crs, dict):
        name = str((crs.get("properties") or {}).get("name", ""))
        if name and not name.endswith(("CRS84", "4326")):
            raise GeoJSONError(
                _("coordinates must be WGS84 longitude/latitude (EPSG:4326), not %(crs)s") % {"crs": name}
            )
    features = data.get("features")
    if not isinstance(features, list):
        raise GeoJSONError(_("the FeatureCollection has no features list"))
    if not features:
        raise GeoJSONError(_("the layer has no features"))
    if len(features) > max_features:
        raise GeoJSONError(
            _("the layer has %(n)s features; at most %(max)s are accepted")
            % {"n": len(features), "max": max_features}
        )
    parsed = []
    for index, feature in enumerate(features):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise GeoJSONError(_("not a GeoJSON Feature object"), index=index)
        properties = feature.get("properties") or {}
        if not isinstance(properties, dict):
            raise GeoJSONError(_("properties must be an object"), index=index)
        if len(json.dumps(properties, ensure_ascii=False).encode()) > MAX_PROPERTY_BYTES:
            raise GeoJSONError(
                _("properties are larger than %(n)s bytes") % {"n": MAX_PROPERTY_BYTES}, index=index
            )
        geometry = _geometry(feature.get("geometry"), index)
        parsed.append(ParsedFeature(geometry=geometry, properties=properties, name=feature_name(properties)))
    return parsed
