"""Whether an epicentre lies in China: the one answer to "in China or abroad?".

National units weigh quakes in China and abroad differently (a post-quake case at M6.0 in
China, M7.0 abroad: ``catalog.arrival``), so the portal needs China's territory, which is
not a bureau's jurisdiction: a national unit's stored jurisdiction is whatever its admin drew
(a box around the country in places), and a province's ends at its border.

China here is the land of the shipped outlines (``portal/data``: the 31 provincial units,
Taiwan, Hong Kong and Macao), the two seas between Chinese coasts that the outlines leave
open (the Bohai, closed at the Bohai Strait; the Taiwan Strait, between its northern and
southern limit lines), and the territorial sea: 12 nautical miles (22.224 km) from the coast
(UNCLOS art. 3; the PRC's Law on the Territorial Sea, 1992, art. 3), measured from the
outlines' coast rather than from the legal baselines. The Yellow Sea, the East China Sea and
the South China Sea beyond that are abroad.

Limits: the outlines do not tell a coast from a land border, so a quake within 22 km of a
land border on the neighbour's side counts as in China too (it shakes China as much as one
at sea); the coasts are simplified to a few km (``portal/data/README.md``), so a quake within
a few km of a border or of the 12-mile line may fall on either side; the South China Sea
islands are not in the outlines, so a quake near them counts as abroad.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from django.contrib.gis.gdal import CoordTransform, SpatialReference
from django.contrib.gis.geos import GEOSGeometry, Point, Polygon

if TYPE_CHECKING:
    from django.contrib.gis.geos.prepared import PreparedGeometry

DATA_DIR = Path(__file__).resolve().parent / "data"
#: 12 nautical miles of 1852 m.
TERRITORIAL_SEA_KM = 22.224

# (lon, lat) rings of the two seas between Chinese coasts that the outlines leave open; the
# inland sides run over land (any point inside is Chinese land or the sea's water).
#: The Bohai, closed by the line Penglai (120.75 E, 37.82 N) - Laotieshan (121.13 E, 38.73 N)
#: across the Bohai Strait, then up the Liaodong peninsula inland of its western coast.
BOHAI = (
    (117.3, 36.9),
    (120.75, 36.9),
    (120.75, 37.82),
    (121.13, 38.73),
    (121.9, 39.5),
    (122.5, 40.3),
    (122.5, 41.2),
    (117.3, 41.2),
    (117.3, 36.9),
)
#: The Taiwan Strait between the lines Pingtan Island (119.85 E, 25.6 N) - Fuguijiao
#: (121.53 E, 25.30 N) in the north and Dongshan Island (117.43 E, 23.70 N) - Eluanbi
#: (120.85 E, 21.90 N) in the south (its limits as Chinese geography gives them), the
#: Fujian side inland of the coast, the Taiwan side over the island.
TAIWAN_STRAIT = (
    (117.43, 23.70),
    (120.85, 21.90),
    (121.53, 25.30),
    (119.85, 25.60),
    (119.3, 25.9),
    (118.5, 25.2),
    (117.3, 24.3),
    (117.43, 23.70),
)


@lru_cache(maxsize=1)
def _areas() -> tuple[tuple[GEOSGeometry, PreparedGeometry], ...]:
    """Every shipped outline and the Bohai, each with its prepared form for fast tests."""
    geometries: list[GEOSGeometry] = []
    for name in ("china_provinces.geojson", "china_other_regions.geojson"):
        with open(DATA_DIR / name, encoding="utf-8") as handle:
            features = json.load(handle)["features"]
        geometries.extend(GEOSGeometry(json.dumps(f["geometry"]), srid=4326) for f in features)
    geometries.extend(Polygon(ring, srid=4326) for ring in (BOHAI, TAIWAN_STRAIT))
    return tuple((geometry, geometry.prepared) for geometry in geometries)


def _window(longitude: float, latitude: float, km: float) -> Polygon:
    """A box around the point that holds every point within ``km`` of it (a degree of latitude
    is at least 110.5 km; one of longitude 111.3 km times cos(latitude), taken a little short)."""
    dlat = km / 110.0
    dlon = km / (110.0 * max(math.cos(math.radians(min(abs(latitude) + dlat, 89.0))), 0.01))
    return Polygon.from_bbox((longitude - dlon, latitude - dlat, longitude + dlon, latitude + dlat))


def km_from_china(latitude: float, longitude: float, *, within: float = TERRITORIAL_SEA_KM) -> float | None:
    """Kilometres from the epicentre to China's land (0 on it), or None when farther than
    ``within`` km (only the near coast is measured: a distance across the world is not needed).

    Measured in an azimuthal equidistant projection centred on the epicentre, where the
    distance from the centre is the geodesic distance on the WGS 84 ellipsoid (Snyder 1987,
    *Map Projections: A Working Manual*, USGS PP 1395, ch. 25).
    """
    point = Point(longitude, latitude, srid=4326)
    areas = _areas()
    if any(prepared.contains(point) for _geometry, prepared in areas):
        return 0.0
    window = _window(longitude, latitude, within)
    near = [geometry.intersection(window) for geometry, prepared in areas if prepared.intersects(window)]
    near = [piece for piece in near if not piece.empty]
    if not near:
        return None
    projection = CoordTransform(
        SpatialReference(4326),
        SpatialReference(f"+proj=aeqd +lat_0={latitude} +lon_0={longitude} +datum=WGS84 +units=m +no_defs"),
    )
    centre = Point(0.0, 0.0)
    km = min(piece.transform(projection, clone=True).distance(centre) for piece in near) / 1000.0
    return km if km <= within else None


def in_china(latitude: float, longitude: float) -> bool:
    """The epicentre lies in China: on its land, in the Bohai, or within its territorial sea."""
    return km_from_china(latitude, longitude) is not None
