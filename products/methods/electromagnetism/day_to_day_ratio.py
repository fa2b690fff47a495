"""逐日比: the ratio of the daily range of the vertical component Z on consecutive days,
R(d) = ΔZ(d) / ΔZ(d + 1), dated on the first day, with ΔZ the maximum minus the minimum of Z
over the Beijing day; the form in use on the Chinese geomagnetic network, where a ratio at or
above a threshold (3 by default) at several stations on the same day is what experts look
for.

* A ratio is only taken between two quiet days: a magnetically disturbed day has a range set
  by the magnetospheric storm, not by the ground. ``disturbed="fmi"`` (default) leaves out a
  day whose largest three-hour K index reaches ``k_disturbed``; K is computed from H by the
  FMI method (Sucksdorff, Pirjola & Häkkinen 1991, Ann. Geophys. 9:222; see ``kindex``) on
  the station's K = 9 lower limit ``k9_limit``. ``disturbed="h_range"`` leaves out a day whose
  H range exceeds the given ``h_range_nt`` instead; ``"none"`` keeps every day.
* Per day, the number of stations of the request whose ratio reached the threshold, and the
  days where at least ``min_stations`` did.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from products.methods._common import require
from products.methods.series_common import BEIJING, finite_list, iso_days, require_days

from ._grid import align, component, day_grid, minute_interval, pairs
from .kindex import BLOCK_MIN, k_index, to_minutes_ut_days

if TYPE_CHECKING:
    from products.series_inputs import SeriesInput


def day_range(grid: np.ndarray, min_coverage: float) -> np.ndarray:
    """Maximum minus minimum of each row; NaN for a row with less than ``min_coverage``."""
    present = np.isfinite(grid).sum(axis=1)
    out = np.full(grid.shape[0], np.nan)
    ok = present >= min_coverage * grid.shape[1]
    if ok.any():
        out[ok] = np.nanmax(grid[ok], axis=1) - np.nanmin(grid[ok], axis=1)
    return out


def k_by_beijing_day(h: SeriesInput, days: np.ndarray, k9_limit: float) -> np.ndarray:
    """The largest K of the UT three-hour blocks that overlap each Beijing day (-1: unknown)."""
    first, minutes = to_minutes_ut_days(
        h.values, np.datetime64(h.start.replace(tzinfo=None), "s"), h.interval
    )
    k = k_index(minutes, k9_limit)
    out = np.full(days.size, -1, dtype=np.int64)
    day_start = (days.astype("datetime64[m]") - BEIJING - first) / np.timedelta64(1, "m")
    for i, start in enumerate(day_start.astype(np.int64)):
        lo = max(0, start // BLOCK_MIN)
        hi = min(k.size, -(-(start + 1440) // BLOCK_MIN))
        if hi > lo:
            out[i] = int(k[lo:hi].max())
    return out


def day_to_day_ratio(
    *,
    series: list[SeriesInput],
    disturbed: str,
    k9_limit: float,
    k_disturbed: int,
    h_range_nt: float,
    threshold: float,
    min_stations: int,
    min_coverage: float,
    min_days: int,
) -> dict[str, Any]:
    if disturbed == "none":
        zs = [part for part in series if component(part) == "Z"]
        require(bool(zs), "day_to_day_ratio needs Z series", have=0, need=1)
        couples: list[tuple[SeriesInput, SeriesInput | None]] = [(z, None) for z in zs]
    else:
        couples = list(pairs(series, "day_to_day_ratio", "Z", "H"))
    for z, h in couples:
        minute_interval(z, "day_to_day_ratio")
        if h is not None:
            minute_interval(h, "day_to_day_ratio")
    # Z and H of all stations on one span of days, so row i is the same day everywhere
    days, aligned = align(
        [day_grid(z) for z, _ in couples] + [day_grid(h) for _, h in couples if h is not None]
    )
    z_grids = aligned[: len(couples)]
    h_grids = iter(aligned[len(couples) :])
    stations = []
    over = np.zeros(days.size, dtype=np.int64)
    over_names: list[list[str]] = [[] for _ in range(days.size)]
    for (z, h), grid in zip(couples, z_grids, strict=True):
        z_range = day_range(grid, min_coverage)
        require_days(f"day_to_day_ratio ({z.station} Z)", z_range, min_days)
        quiet = np.ones(days.size, dtype=bool)
        k_day: np.ndarray | None = None
        h_grid = next(h_grids) if h is not None else None
        if h is not None and disturbed == "fmi":
            k_day = k_by_beijing_day(h, days, k9_limit)
            quiet = (k_day >= 0) & (k_day < k_disturbed)
        elif h_grid is not None:
            h_range = day_range(h_grid, min_coverage)
            quiet = np.isfinite(h_range) & (h_range <= h_range_nt)
        ratio = np.full(days.size, np.nan)
        ok = quiet[:-1] & quiet[1:] & np.isfinite(z_range[:-1]) & np.isfinite(z_range[1:]) & (z_range[1:] > 0)
        ratio[:-1][ok] = z_range[:-1][ok] / z_range[1:][ok]
        hit = ratio >= threshold
        over += hit
        for i in np.flatnonzero(hit):
            over_names[i].append(z.station)
        stations.append(
            {
                "station": z.station,
                "z_channel": z.channel,
                "h_channel": h.channel if h is not None else None,
                "z_range": finite_list(z_range, 3),
                "ratio": finite_list(ratio, 4),
                "k_max": None if k_day is None else [int(k) if k >= 0 else None for k in k_day],
                "disturbed_days": int((~quiet).sum()),
                "days_over": [str(days[i]) for i in np.flatnonzero(hit)],
            }
        )
    alarms = [
        {"day": str(days[i]), "count": int(over[i]), "stations": over_names[i]}
        for i in np.flatnonzero(over >= min_stations)
    ]
    return {
        "disturbed": disturbed,
        "k9_limit": k9_limit if disturbed == "fmi" else None,
        "k_disturbed": k_disturbed if disturbed == "fmi" else None,
        "h_range_nt": h_range_nt if disturbed == "h_range" else None,
        "threshold": threshold,
        "min_stations": min_stations,
        "days": iso_days(days),
        "stations_over": [int(c) for c in over],
        "stations": stations,
        "alarms": alarms,
        "n_stations": len(stations),
    }
