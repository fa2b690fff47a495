"""Helpers shared by the methods: magnitude binning, time conversion, geometry.

Binning follows seismostats' ``bin_to_precision`` (Mizrahi et al., SED):
``floor(m / bin + 0.5 + 1e-12) * bin``, i.e. round half UP (towards +inf, so
-0.05 becomes 0.0, not -0.1), with a 1e-12 nudge so that values such as
2.35, stored as 2.34999..., land in the upper bin as a person would expect.
Results are then rounded to the number of decimals of ``bin`` so that no
float noise (2.9000000000000004) leaks into results.
"""

from __future__ import annotations

import decimal
from typing import Any

import numpy as np

from .errors import InsufficientData

EPSILON = 1e-12
EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius
DAY_MS = 86_400_000.0


def bin_decimals(bin_width: float) -> int:
    """Number of decimals of ``bin_width`` as written (0.1 -> 1, 0.05 -> 2)."""
    exponent = decimal.Decimal(str(bin_width)).normalize().as_tuple().exponent
    return max(0, -int(exponent))


def bin_index(values: np.ndarray, bin_width: float) -> np.ndarray:
    """Integer bin index (``round(m / bin)``, half up) of each value."""
    values = np.asarray(values, dtype=float)
    return np.floor(values / bin_width + 0.5 + EPSILON).astype(np.int64)


def bin_values(values: np.ndarray, bin_width: float) -> np.ndarray:
    """Values rounded to the bin grid, free of float noise."""
    idx = bin_index(values, bin_width)
    return np.round(idx * bin_width, bin_decimals(bin_width))


def round_to_bin(value: float, bin_width: float) -> float:
    """One value rounded to the bin grid, as a plain python float."""
    return float(bin_values(np.array([value]), bin_width)[0])


def clean_magnitudes(magnitudes: Any) -> np.ndarray:
    """Magnitudes as a 1-D float array (NaNs kept so indices stay aligned)."""
    return np.asarray(magnitudes, dtype=float).reshape(-1)


def is_datetime(values: Any) -> bool:
    arr = np.asarray(values)
    return np.issubdtype(arr.dtype, np.datetime64) or arr.dtype == object


def to_days(values: Any) -> np.ndarray:
    """Times as float days: datetime64 (or datetime objects, ISO strings) become
    days since 1970-01-01; numbers are taken as days already."""
    arr = np.asarray(values)
    if arr.dtype.kind in "iuf":
        return arr.astype(float).reshape(-1)
    if arr.dtype.kind in "OUS":
        arr = arr.astype("datetime64[ms]")
    return arr.astype("datetime64[ms]").astype(np.int64).astype(float).reshape(-1) / DAY_MS


def days_to_iso(days: np.ndarray) -> list[str]:
    """Float days since 1970-01-01 back to ISO 8601 strings (UTC, seconds)."""
    ms = np.round(np.asarray(days, dtype=float) * DAY_MS).astype(np.int64)
    return [str(t) for t in ms.astype("datetime64[ms]").astype("datetime64[s]")]


def unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """3-D unit vectors of points on the sphere (for great-circle-correct KD-trees)."""
    la = np.radians(np.asarray(lat, dtype=float))
    lo = np.radians(np.asarray(lon, dtype=float))
    cl = np.cos(la)
    return np.column_stack([cl * np.cos(lo), cl * np.sin(lo), np.sin(la)])


def chord_to_km(chord: np.ndarray) -> np.ndarray:
    """Chord length on the unit sphere to great-circle distance in km."""
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.clip(np.asarray(chord) / 2.0, 0.0, 1.0))


def km_to_chord(km: float) -> float:
    return float(2.0 * np.sin(km / (2.0 * EARTH_RADIUS_KM)))


def haversine_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> np.ndarray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def require(condition: bool, message: str, *, have: float, need: float) -> None:
    if not condition:
        raise InsufficientData(message, have=have, need=need)


def fnum(x: Any, ndigits: int | None = None) -> float | None:
    """Plain float (None for NaN/inf), optionally rounded."""
    if x is None:
        return None
    x = float(x)
    if not np.isfinite(x):
        return None
    return round(x, ndigits) if ndigits is not None else x


def cell_polygon(lon_c: float, lat_c: float, cell: float, decimals: int) -> list[list[list[float]]]:
    h = cell / 2.0
    w, e = round(lon_c - h, decimals + 1), round(lon_c + h, decimals + 1)
    s, n = round(lat_c - h, decimals + 1), round(lat_c + h, decimals + 1)
    return [[[w, s], [e, s], [e, n], [w, n], [w, s]]]
