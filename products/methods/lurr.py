"""加卸载响应比 (LURR), seismic form: the Benioff strain released while the tide loads a fault
against what is released while it unloads it (Yin Xiangchu et al. 1995, "A new approach to
earthquake prediction: the load/unload response ratio (LURR) theory", PAGEOPH 145:701).

* Y = Σ₊ E_i^m / Σ₋ E_i^m over the events of a window, + for events in loading, − in
  unloading, with m = ½ (Benioff strain, the default) and E the seismic energy from the
  magnitude, log₁₀ E = 11.8 + 1.5 M (erg; Gutenberg & Richter 1956, Ann. Geofis. 9:1; the
  constant cancels in the ratio). Y ≈ 1 while the crust responds alike to loading and
  unloading; Y well above 1 is read as a crust near instability.
* Loading: the tidal Coulomb failure stress on the given fault orientation (strike, dip,
  rake, effective friction μ') is rising at the event's time, as Yin et al. 1995 define it
  (the Coulomb stress increment from the tide positive). The tidal stress is computed at
  the mean epicentre of the selection from pysolid's solid-earth tide (see ``tides`` for how
  strain and stress are derived from its displacements).
* Y in moving windows of ``window_days`` stepping ``step_days`` back from the last event;
  a window with fewer than ``min_events`` events, or with none in one of the phases, has no Y.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import tides
from ._common import days_to_iso, require, to_days


def benioff_weights(magnitudes: np.ndarray, m: float) -> np.ndarray:
    """E^m up to a constant factor: 10^(1.5·m·M) (the 11.8·m part cancels in Y)."""
    return np.power(10.0, 1.5 * m * (magnitudes - np.max(magnitudes)))


def lurr(
    lat: Any,
    lon: Any,
    times: Any,
    magnitudes: Any,
    *,
    strike: float,
    dip: float,
    rake: float,
    friction: float,
    exponent: float,
    window_days: float,
    step_days: float,
    mag_min: float | None,
    min_events: int,
) -> dict[str, Any]:
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    days = to_days(times)
    mags = np.asarray(magnitudes, dtype=float)
    keep = np.isfinite(mags) & np.isfinite(days) & np.isfinite(lat) & np.isfinite(lon)
    if mag_min is not None:
        keep &= mags >= mag_min
    lat, lon, days, mags = lat[keep], lon[keep], days[keep], mags[keep]
    require(
        mags.size >= min_events,
        f"lurr needs at least {min_events} events; the selection has {mags.size}",
        have=mags.size,
        need=min_events,
    )
    order = np.argsort(days)
    lat, lon, days, mags = lat[order], lon[order], days[order], mags[order]
    centre_lat, centre_lon = float(np.mean(lat)), float(np.mean(lon))
    stamps = (np.round(days * 86400.0)).astype(np.int64).astype("datetime64[s]")
    event_days = sorted({d.astype(object) for d in stamps.astype("datetime64[D]")})
    tide_t, cfs = tides.coulomb_stress(
        centre_lat, centre_lon, event_days, strike=strike, dip=dip, rake=rake, friction=friction
    )
    loading = tides.loading_at(stamps, tide_t, cfs)
    weight = benioff_weights(mags, exponent)
    steps = int(max(0.0, days[-1] - days[0] - window_days) // step_days)
    ends = days[-1] - step_days * np.arange(steps, -1, -1)
    rows = []
    for end in ends:
        inside = (days > end - window_days) & (days <= end)
        load = inside & loading
        unload = inside & ~loading
        n = int(inside.sum())
        y = None
        if n >= min_events and load.any() and unload.any():
            y = round(float(weight[load].sum() / weight[unload].sum()), 4)
        rows.append((end, y, int(load.sum()), int(unload.sum())))
    total_y = (
        float(weight[loading].sum() / weight[~loading].sum()) if loading.any() and (~loading).any() else None
    )
    return {
        "centre": {"lat": round(centre_lat, 4), "lon": round(centre_lon, 4)},
        "fault": {"strike": strike, "dip": dip, "rake": rake, "friction": friction},
        "exponent": exponent,
        "window_days": window_days,
        "step_days": step_days,
        "n_events": int(mags.size),
        "n_loading": int(loading.sum()),
        "n_unloading": int((~loading).sum()),
        "y_total": None if total_y is None else round(total_y, 4),
        "window_end": days_to_iso(np.array([r[0] for r in rows])),
        "y": [r[1] for r in rows],
        "n_load": [r[2] for r in rows],
        "n_unload": [r[3] for r in rows],
        "event_loading": [bool(v) for v in loading],
    }
