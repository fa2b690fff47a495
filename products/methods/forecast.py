"""Forecast scoring (预报效能检验): R-score and Molchan diagram.

R-score (许绍燮 Xu Shaoxie 1989, 地震预报能力评分, in 地震预报方法实用化研究文集):
R = (number of target events hit / number of target events)
  - (space-time under alarm / total space-time of the scored region and period).

An event is a target when it lies in the scored region and period with
M >= ``mag_min`` (default: the lowest ``mag_min`` of the forecasts); it is
hit when it lies inside a forecast's polygon, inside its window
[start, end) and inside its magnitude range [mag_min, mag_max).
The space-time under alarm is the union over forecasts (overlaps counted
once): time is cut at every window edge, and within each slice the union of
the active polygons' areas is taken (exactly for one polygon; on a
400 x 400 equal-area raster for several). Areas are computed in the Lambert
cylindrical equal-area projection (x = R lon, y = R sin lat): exact for
polygons whose edges are meridians and parallels, and close otherwise.
Forecast polygons are taken to lie inside the scored region.

R0, the 97.5 percent significance level: under random alarms covering the
fraction p = alarm_fraction of space-time, hits ~ Binomial(n, p). h0 is the
smallest h with P(H >= h) <= 0.025 and R0 = h0 / n - p; a forecast with
R > R0 is better than chance at 97.5 percent (the usual practice of China's
forecast evaluation). R0 is None when even h = n is not that unlikely.

Molchan diagram (Molchan 1991, Tectonophysics 193, 267-276): the forecasts
are added in decreasing ``probability`` (given order when absent) and each
step gives (tau = alarm fraction, nu = miss rate); the trajectory runs from
(0, 1) to (1, 0). area_skill_score = 1 - area under that piecewise-linear
trajectory (Zechar and Jordan 2008, Geophys. J. Int. 172, 715-724): 0.5 for
random alarms, 1 for perfect.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from ._common import EARTH_RADIUS_KM, fnum, require, to_days

RASTER = 400


def _ring(coords: Any) -> np.ndarray:
    ring = np.asarray(coords, dtype=float)
    if ring.ndim == 3:  # GeoJSON-like [[ring]]: take the outer ring
        ring = ring[0]
    return ring[:, :2]


def area_km2(coords: Any) -> float:
    """Area of a lon/lat polygon in the cylindrical equal-area projection."""
    ring = _ring(coords)
    x = np.radians(ring[:, 0]) * EARTH_RADIUS_KM
    y = np.sin(np.radians(ring[:, 1])) * EARTH_RADIUS_KM
    return float(0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def inside(coords: Any, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Points inside a polygon (boundary points count as inside)."""
    from matplotlib.path import Path  # matplotlib loads when a run needs it (see products.methods.canvas)

    if lon.size == 0:
        return np.zeros(0, dtype=bool)
    ring = _ring(coords)
    path = Path(ring)
    pts = np.column_stack([lon, lat])
    return path.contains_points(pts, radius=1e-9) | path.contains_points(pts, radius=-1e-9)


def union_area_km2(polygons: list[np.ndarray]) -> float:
    from matplotlib.path import Path  # matplotlib loads when a run needs it (see products.methods.canvas)

    if len(polygons) == 1:
        return area_km2(polygons[0])
    rings = [_ring(p) for p in polygons]
    allpts = np.vstack(rings)
    lo0, lo1 = allpts[:, 0].min(), allpts[:, 0].max()
    s0, s1 = (
        np.sin(np.radians(allpts[:, 1].min())),
        np.sin(np.radians(allpts[:, 1].max())),
    )
    xs = lo0 + (np.arange(RASTER) + 0.5) * (lo1 - lo0) / RASTER
    ys = s0 + (np.arange(RASTER) + 0.5) * (s1 - s0) / RASTER
    gx, gy = np.meshgrid(xs, ys)
    glon, glat = gx.ravel(), np.degrees(np.arcsin(gy.ravel()))
    covered = np.zeros(glon.size, dtype=bool)
    for ring in rings:
        covered |= Path(ring).contains_points(np.column_stack([glon, glat]))
    total = np.radians(lo1 - lo0) * (s1 - s0) * EARTH_RADIUS_KM**2
    return float(covered.mean() * total)


def alarm_space_time(forecasts: list[dict[str, Any]], t0: float, t1: float) -> float:
    """Union of forecasts' (area x duration) in km^2 days, clipped to [t0, t1]."""
    if not forecasts:
        return 0.0
    starts = np.clip([f["_start"] for f in forecasts], t0, t1)
    ends = np.clip([f["_end"] for f in forecasts], t0, t1)
    edges = np.unique(np.concatenate([starts, ends]))
    total = 0.0
    for a, b in itertools.pairwise(edges):
        active = [f["polygon"] for f, s, e in zip(forecasts, starts, ends, strict=True) if s <= a and e >= b]
        if active:
            total += union_area_km2(active) * (b - a)
    return total


def _prepare(forecasts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for f in forecasts:
        g = dict(f)
        g["_start"] = float(to_days(np.array([f["start"]]))[0])
        g["_end"] = float(to_days(np.array([f["end"]]))[0])
        g["_mag_min"] = float(f.get("mag_min") if f.get("mag_min") is not None else -np.inf)
        g["_mag_max"] = float(f.get("mag_max") if f.get("mag_max") is not None else np.inf)
        out.append(g)
    return out


def _hits(forecasts: list[dict[str, Any]], lon, lat, days, mags) -> np.ndarray:
    hit = np.zeros(lon.size, dtype=bool)
    for f in forecasts:
        cand = (
            (days >= f["_start"])
            & (days < f["_end"])
            & (mags >= f["_mag_min"] - 1e-9)
            & (mags < f["_mag_max"] - 1e-9)
        )
        if cand.any():
            idx = np.nonzero(cand)[0]
            hit[idx[inside(f["polygon"], lon[idx], lat[idx])]] = True
    return hit


def r0_binomial(n: int, p: float, level: float = 0.025) -> float | None:
    """R0: h0 / n - p with h0 the smallest h such that P(H >= h | n, p) <= level."""
    from scipy.stats import binom  # scipy loads when a run needs it (see products.methods.canvas)

    for h in range(n + 1):
        if binom.sf(h - 1, n, p) <= level:
            return float(h / n - p)
    return None


def forecast_score(
    forecasts: list[dict[str, Any]],
    lat: Any,
    lon: Any,
    times: Any,
    magnitudes: Any,
    *,
    region: Any,
    period_start: Any,
    period_end: Any,
    mag_min: float | None = None,
) -> dict[str, Any]:
    """Score alarm forecasts against the events of a region and period.

    ``forecasts``: dicts with ``start``, ``end`` (datetimes, ISO strings or
    float days, like ``times``), ``polygon`` ([[lon, lat], ...]), ``mag_min``,
    optional ``mag_max`` and ``probability``. ``region``: the scored polygon.
    Returns ``{"R", "R0", "hits", "n_events", "alarm_fraction", "molchan",
    "area_skill_score", "mag_min"}``. Raises InsufficientData with no target
    event or an empty period.
    """
    fc = _prepare(forecasts)
    t0 = float(to_days(np.array([period_start]))[0])
    t1 = float(to_days(np.array([period_end]))[0])
    require(t1 > t0, "forecast_score needs a period of positive length", have=0, need=1)
    if mag_min is None:
        finite = [f["_mag_min"] for f in fc if np.isfinite(f["_mag_min"])]
        mag_min = min(finite) if finite else -np.inf
    lat_a = np.asarray(lat, dtype=float).reshape(-1)
    lon_a = np.asarray(lon, dtype=float).reshape(-1)
    mags = np.asarray(magnitudes, dtype=float).reshape(-1)
    days = to_days(times) if lat_a.size else np.zeros(0)
    target = (days >= t0) & (days < t1) & (mags >= mag_min - 1e-9)
    target &= inside(region, lon_a, lat_a)
    lon_a, lat_a, days, mags = lon_a[target], lat_a[target], days[target], mags[target]
    n = int(lon_a.size)
    require(
        n >= 1,
        f"forecast_score needs at least 1 target event (M >= {mag_min:g}) in the region "
        f"and period; the selection has 0",
        have=0,
        need=1,
    )
    total = area_km2(region) * (t1 - t0)
    hit = _hits(fc, lon_a, lat_a, days, mags)
    hits = int(hit.sum())
    alarm = alarm_space_time(fc, t0, t1) / total
    r = hits / n - alarm

    order = sorted(range(len(fc)), key=lambda i: -(fc[i].get("probability") or 0.0))
    molchan = [[0.0, 1.0]]
    for k in range(1, len(order) + 1):
        chosen = [fc[i] for i in order[:k]]
        tau = alarm_space_time(chosen, t0, t1) / total
        nu = 1.0 - _hits(chosen, lon_a, lat_a, days, mags).sum() / n
        molchan.append([float(tau), float(nu)])
    if molchan[-1] != [1.0, 0.0]:
        molchan.append([1.0, 0.0])
    pts = np.array(molchan)
    area = float(np.sum(np.diff(pts[:, 0]) * (pts[1:, 1] + pts[:-1, 1]) / 2.0))
    return {
        "R": fnum(r),
        "R0": r0_binomial(n, alarm),
        "hits": hits,
        "n_events": n,
        "alarm_fraction": fnum(alarm),
        "molchan": [[fnum(a), fnum(b)] for a, b in molchan],
        "area_skill_score": fnum(1.0 - area),
        "mag_min": fnum(mag_min),
    }
