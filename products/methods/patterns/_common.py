"""Geometry and window helpers shared by the pattern methods (gap, band, swarm)."""

from __future__ import annotations

from typing import Any

import numpy as np

from products.methods._common import EARTH_RADIUS_KM, clean_magnitudes, require, to_days

KM_PER_DEG = EARTH_RADIUS_KM * np.pi / 180.0


def project_km(lat: np.ndarray, lon: np.ndarray, lat0: float, lon0: float) -> np.ndarray:
    """Local equirectangular (x east, y north) km about (lat0, lon0): within a few hundred km,
    as these patterns are, its distortion is far below the cell and link sizes used."""
    x = (lon - lon0) * KM_PER_DEG * np.cos(np.radians(lat0))
    y = (lat - lat0) * KM_PER_DEG
    return np.column_stack([x, y])


def unproject_km(xy: np.ndarray, lat0: float, lon0: float) -> tuple[np.ndarray, np.ndarray]:
    lat = lat0 + xy[:, 1] / KM_PER_DEG
    lon = lon0 + xy[:, 0] / (KM_PER_DEG * np.cos(np.radians(lat0)))
    return lat, lon


def clean_events(lat: Any, lon: Any, times: Any, magnitudes: Any) -> dict[str, np.ndarray]:
    """Finite events as float arrays (days since 1970 for the times), in time order."""
    la = np.asarray(lat, dtype=float).reshape(-1)
    lo = np.asarray(lon, dtype=float).reshape(-1)
    days = to_days(times)
    mags = clean_magnitudes(magnitudes)
    ok = np.isfinite(la) & np.isfinite(lo) & np.isfinite(days) & np.isfinite(mags)
    order = np.argsort(days[ok], kind="stable")
    return {"lat": la[ok][order], "lon": lo[ok][order], "days": days[ok][order], "mags": mags[ok][order]}


def window_bounds(days: np.ndarray, window_days: float, window_end: Any) -> tuple[float, float]:
    """[end - window_days, end], end being ``window_end`` or the last event."""
    require(days.size > 0, "the selection has no events", have=0, need=1)
    end = float(days.max()) if window_end is None else float(to_days(np.array([window_end]))[0])
    return end - float(window_days), end
