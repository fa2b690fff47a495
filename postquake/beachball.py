"""Focal-mechanism "beach balls" as SVG geometry: the lower-hemisphere equal-area (Schmidt)
projection of a double couple given by strike, dip and rake (Aki and Richards 2002,
Quantitative Seismology, 2nd ed., section 4.2, Box 4.4; conventions of their Figure 4.13).

Coordinates are north (x), east (y), down (z). For a fault of strike φ, dip δ, rake λ:

* the fault normal (hanging wall side, pointing up) n = (−sin δ sin φ, sin δ cos φ, −cos δ);
* the slip u = (cos λ cos φ + cos δ sin λ sin φ, cos λ sin φ − cos δ sin λ cos φ, −sin λ sin δ);
* the moment tensor is proportional to n uᵀ + u nᵀ, so the P-wave first motion along a ray r
  is compressional (the shaded quadrants, holding the T axis) where (r·n)(r·u) > 0.

The two nodal planes are the fault plane (normal n) and the auxiliary plane (normal u). Each
splits the projected disk in two; the region where r·n > 0 is a polygon bounded by the plane's
trace and half of the rim, likewise for u. The compressional region is where both or neither
hold, so the disk, the n-side and the u-side drawn as one path with the even-odd fill rule
shade exactly it, whatever the mechanism (no quadrant bookkeeping, and degenerate planes,
vertical or horizontal, need no special case).

A ray of trend θ and plunge ψ lands at radius r = √2 sin((90° − ψ)/2) of the unit disk
(equal area, r = 1 on the rim), at azimuth θ clockwise from north (up).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Vector = tuple[float, float, float]
Point = tuple[float, float]

#: Steps along each nodal plane's trace (from one rim point to the other).
TRACE_STEPS = 40


def fault_vectors(strike: float, dip: float, rake: float) -> tuple[Vector, Vector]:
    """The fault normal n and the slip u (unit vectors, north-east-down; Aki and Richards)."""
    phi, delta, lam = (math.radians(v) for v in (strike, dip, rake))
    n = (-math.sin(delta) * math.sin(phi), math.sin(delta) * math.cos(phi), -math.cos(delta))
    u = (
        math.cos(lam) * math.cos(phi) + math.cos(delta) * math.sin(lam) * math.sin(phi),
        math.cos(lam) * math.sin(phi) - math.cos(delta) * math.sin(lam) * math.cos(phi),
        -math.sin(lam) * math.sin(delta),
    )
    return n, u


def _dot(a: Vector, b: Vector) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def ray(trend: float, plunge: float) -> Vector:
    """The unit vector of a ray of ``trend`` and ``plunge`` (degrees; plunge down positive)."""
    t, p = math.radians(trend), math.radians(plunge)
    return (math.cos(p) * math.cos(t), math.cos(p) * math.sin(t), math.sin(p))


def compressional(strike: float, dip: float, rake: float, trend: float, plunge: float) -> bool:
    """True where the P-wave first motion along the ray is compressional (up)."""
    n, u = fault_vectors(strike, dip, rake)
    r = ray(trend, plunge)
    return _dot(r, n) * _dot(r, u) > 0


def project(v: Vector) -> Point:
    """A downward unit vector on the unit disk (x east, y north), equal-area projection."""
    x, y, z = v
    if z < 0:  # the same line, pointing down
        x, y, z = -x, -y, -z
    plunge = math.asin(max(-1.0, min(1.0, z)))
    r = math.sqrt(2.0) * math.sin((math.pi / 2 - plunge) / 2)
    trend = math.atan2(y, x)
    return (r * math.sin(trend), r * math.cos(trend))


def unproject(px: float, py: float) -> Vector:
    """The downward unit vector that lands at (px east, py north) of the unit disk."""
    r = min(math.hypot(px, py), 1.0)
    plunge = math.pi / 2 - 2 * math.asin(r / math.sqrt(2.0))
    trend = math.atan2(px, py)
    return (math.cos(plunge) * math.cos(trend), math.cos(plunge) * math.sin(trend), math.sin(plunge))


def _plane_of(normal: Vector) -> tuple[Vector, Vector, float]:
    """The strike vector, the dip vector and the strike (radians) of the plane with ``normal``."""
    nx, ny, nz = normal
    if nz > 0:  # the upward normal: the strike's right-hand rule follows from it
        nx, ny, nz = -nx, -ny, -nz
    sin_dip = math.hypot(nx, ny)
    phi = math.atan2(-nx, ny) if sin_dip > 1e-12 else 0.0
    cos_dip = -nz
    s = (math.cos(phi), math.sin(phi), 0.0)
    d = (-math.sin(phi) * cos_dip, math.cos(phi) * cos_dip, sin_dip)
    return s, d, phi


def _rim(from_azimuth: float, to_azimuth: float, clockwise: bool, steps: int = 24) -> list[Point]:
    """Points of the rim from one azimuth to the other (radians from north), excluding the start."""
    span = (to_azimuth - from_azimuth) % (2 * math.pi)
    if not clockwise:
        span -= 2 * math.pi
    return [
        (math.sin(from_azimuth + span * i / steps), math.cos(from_azimuth + span * i / steps))
        for i in range(1, steps + 1)
    ]


def half_disk(normal: Vector) -> list[Point]:
    """The polygon of the disk where r·normal > 0: the plane's trace from its rim point at the
    strike to the opposite one, closed along the rim on the side where the sign holds."""
    s, d, phi = _plane_of(normal)
    trace = [
        project(
            tuple(math.cos(a) * s[i] + math.sin(a) * d[i] for i in range(3))  # type: ignore[arg-type]
        )
        for a in (math.pi * k / TRACE_STEPS for k in range(TRACE_STEPS + 1))
    ]
    # The trace lies on the strike's right (azimuths φ..φ+180°); the point at φ+270°, halfway
    # to the rim, is always strictly on its left side.
    left = unproject(0.5 * math.sin(phi + 1.5 * math.pi), 0.5 * math.cos(phi + 1.5 * math.pi))
    left_positive = _dot(left, normal) > 0
    # From the rim point at φ+180° back to φ: through φ+270° (left) or back through φ+90°.
    return trace + _rim(phi + math.pi, phi, clockwise=left_positive)


@dataclass(frozen=True)
class BeachBall:
    """An SVG path (unit disk, y down as SVG draws) to fill with ``fill-rule="evenodd"``."""

    path: str
    strike: float
    dip: float
    rake: float


def _subpath(points: list[Point], digits: int) -> str:
    coords = " ".join(f"{x:.{digits}f},{-y:.{digits}f}" for x, y in points)
    return f"M{coords}Z"


def polygons(strike: float, dip: float, rake: float) -> list[list[Point]]:
    """The disk, the fault's positive side and the auxiliary plane's positive side: filled
    even-odd, they shade the compressional quadrants."""
    n, u = fault_vectors(strike, dip, rake)
    disk = [(math.sin(2 * math.pi * i / 48), math.cos(2 * math.pi * i / 48)) for i in range(48)]
    return [disk, half_disk(n), half_disk(u)]


def beachball(strike: float, dip: float, rake: float, *, digits: int = 3) -> BeachBall:
    """The compressional quadrants of the mechanism as one SVG path over the unit disk
    (viewBox "-1 -1 2 2"; north up, east right)."""
    path = "".join(_subpath(p, digits) for p in polygons(strike, dip, rake))
    return BeachBall(path=path, strike=strike, dip=dip, rake=rake)


def inside_evenodd(polys: list[list[Point]], x: float, y: float) -> bool:
    """Whether (x, y) is filled by ``polys`` under the even-odd rule (ray casting): how the
    drawing is checked against :func:`compressional`."""
    crossings = 0
    for poly in polys:
        for (x1, y1), (x2, y2) in zip(poly, poly[1:] + poly[:1], strict=True):
            if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                crossings += 1
    return crossings % 2 == 1
