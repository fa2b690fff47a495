"""Distance and direction between two points on the Earth, as a report states them
("北东 23 km": the town lies 23 km north-east of the epicentre, or the other way round).

Distances use the haversine formula on a sphere of the mean Earth radius
R = 6371.0088 km (IUGG mean radius R1; Moritz 2000, "Geodetic Reference System
1980", J. Geodesy 74:128-162). Sinnott (1984), "Virtues of the Haversine",
Sky and Telescope 68(2):159, gives the formula:

    a = sin²(Δφ/2) + cos φ1 · cos φ2 · sin²(Δλ/2),   d = 2R · asin(√a)

The bearing is the initial great-circle bearing (forward azimuth), clockwise
from north (Snyder 1987, "Map Projections: A Working Manual", USGS PP 1395,
eq. 5-4b):

    θ = atan2(sin Δλ · cos φ2, cos φ1 · sin φ2 − sin φ1 · cos φ2 · cos Δλ)

At report scale (≤ 200 km) the sphere differs from the WGS84 ellipsoid by
less than 0.5 %, well inside the precision of a quick-report epicentre
(0.01° ≈ 1 km).

Chinese seismological reports name directions with north or south first:
北东 (NE), 南西 (SW), 北西 (NW), 南东 (SE), on an eight-point rose.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

EARTH_RADIUS_KM = 6371.0088

# Eight points of the rose, clockwise from north, each 45° wide and centred on its bearing.
POINTS_ZH = ("北", "北东", "东", "南东", "南", "南西", "西", "北西")
POINTS_EN = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")


def haversine_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in km between (lon1, lat1) and (lon2, lat2), degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def initial_bearing_deg(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Bearing in degrees [0, 360) from point 1 towards point 2, clockwise from north."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dlambda = math.radians(lon2 - lon1)
    y = math.sin(dlambda) * math.cos(phi2)
    x = math.cos(phi1) * math.sin(phi2) - math.sin(phi1) * math.cos(phi2) * math.cos(dlambda)
    return math.degrees(math.atan2(y, x)) % 360.0


def compass_index(bearing_deg: float) -> int:
    """Index into the eight-point rose of a bearing (each sector ±22.5° around its point)."""
    return int(((bearing_deg % 360.0) + 22.5) // 45.0) % 8


def destination(lon: float, lat: float, bearing_deg: float, distance_km: float) -> tuple[float, float]:
    """The point ``distance_km`` from (lon, lat) along ``bearing_deg`` on the sphere (Snyder 1987,
    eq. 5-5 and 5-6); used by tests and demo data to place features at known offsets."""
    delta = distance_km / EARTH_RADIUS_KM
    theta = math.radians(bearing_deg)
    phi1, lambda1 = math.radians(lat), math.radians(lon)
    phi2 = math.asin(math.sin(phi1) * math.cos(delta) + math.cos(phi1) * math.sin(delta) * math.cos(theta))
    lambda2 = lambda1 + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi1), math.cos(delta) - math.sin(phi1) * math.sin(phi2)
    )
    return ((math.degrees(lambda2) + 540.0) % 360.0) - 180.0, math.degrees(phi2)


@dataclass(frozen=True)
class Offset:
    """Where a place lies as seen from a reference point (normally the epicentre)."""

    distance_km: float
    bearing_deg: float

    @property
    def direction_zh(self) -> str:
        return POINTS_ZH[compass_index(self.bearing_deg)]

    @property
    def direction_en(self) -> str:
        return POINTS_EN[compass_index(self.bearing_deg)]

    def label(self, language: str | None = "zh-hans") -> str:
        """``"北东 23 km"`` (or ``"NE 23 km"`` in English); under 1 km just the distance."""
        distance = f"{self.distance_km:.0f} km" if self.distance_km >= 1 else f"{self.distance_km:.1f} km"
        if self.distance_km < 0.05:
            return distance
        direction = self.direction_en if (language or "").startswith("en") else self.direction_zh
        return f"{direction} {distance}"


def offset(from_lon: float, from_lat: float, to_lon: float, to_lat: float) -> Offset:
    """Distance and direction of (to_lon, to_lat) as seen from (from_lon, from_lat)."""
    return Offset(
        distance_km=haversine_km(from_lon, from_lat, to_lon, to_lat),
        bearing_deg=initial_bearing_deg(from_lon, from_lat, to_lon, to_lat),
    )
