"""加卸载响应比 (LURR) on geomagnetic data: the response of a geomagnetic component during
tidal loading against its response during unloading, at each station.

* The definition followed is Yin et al.'s general one (Yin Xiangchu et al. 1995, PAGEOPH
  145:701): Y = X₊ / X₋ with X = ΔR / ΔP the response rate, R the response and P the load,
  ± for loading and unloading. Here the load P is the tidal Coulomb failure stress on the
  given fault orientation at the station (``products.methods.tides``, from pysolid), loading
  while it rises; the response R is the geomagnetic component. No equation beyond that
  definition is taken from an EM paper: X₊ is the mean |ΔR| over the sample steps in
  loading, X₋ over those in unloading. Over whole tidal cycles the stress rises by as much
  as it falls, so dividing each by its phase's total |ΔP| would only multiply Y by the
  ratio of the phases' durations (which differ for a sum of tides), not by anything the
  ground does; per step, Y = 1 when the field varies alike in both phases.
* The regular solar daily variation shares periods with the diurnal tides (S1, K1, P1), so
  R is taken after removing each window's median daily curve (per time of day over the
  window's days); what is left is the irregular part of the field.
* Y in moving windows of ``window_days`` stepping ``step_days``; a window with fewer than
  ``min_days`` days of data has no Y.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from products.methods import tides
from products.methods.series_common import BEIJING, iso_days

from ._grid import day_grid

if TYPE_CHECKING:
    from products.series_inputs import SeriesInput


def station_lurr(
    part: SeriesInput,
    *,
    strike: float,
    dip: float,
    rake: float,
    friction: float,
    window_days: int,
    step_days: int,
    min_days: int,
) -> dict[str, Any]:
    days, grid = day_grid(part)
    per_day = grid.shape[1]
    # the time (UTC) of every cell of the grid, and the tide over the UT days they span
    cell_times = (days.astype("datetime64[s]") - BEIJING)[:, None] + np.arange(per_day) * np.timedelta64(
        part.interval, "s"
    )
    tide_days = tides.days_between(cell_times[0, 0], cell_times[-1, -1])
    tide_t, cfs = tides.coulomb_stress(
        part.latitude, part.longitude, tide_days, strike=strike, dip=dip, rake=rake, friction=friction
    )
    flat_t = cell_times.reshape(-1)
    load = tides.loading_at(flat_t, tide_t, cfs).reshape(grid.shape)
    load = load[:, :-1]  # the phase of the step from each sample to the next
    steps = int(max(0, days.size - window_days) // step_days)
    starts = (days.size - window_days) - step_days * np.arange(steps, -1, -1)
    rows = []
    for start in starts:
        lo = max(0, int(start))
        hi = lo + window_days
        window = grid[lo:hi]
        present = np.isfinite(window).sum(axis=1) >= 0.5 * per_day
        y = None
        if present.sum() >= min_days:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # a time of day with no data
                days_used = window[present]
                # np.median is several times faster than nanmedian on gap-free windows
                median = np.median if np.isfinite(days_used).all() else np.nanmedian
                curve = median(days_used, axis=0)
            d_r = np.abs(np.diff(window - curve, axis=1))
            ok = np.isfinite(d_r) & present[:, None]
            lw = load[lo:hi]
            steps = [d_r[ok & phase] for phase in (lw, ~lw)]
            if all(s.size and s.sum() > 0 for s in steps):
                y = round(float(steps[0].mean() / steps[1].mean()), 4)
        rows.append((days[min(hi, days.size) - 1], y))
    return {
        "channel": part.channel,
        "station": part.station,
        "item": part.item,
        "window_end": iso_days(np.array([r[0] for r in rows])),
        "y": [r[1] for r in rows],
    }


def lurr_series(
    *,
    series: list[SeriesInput],
    strike: float,
    dip: float,
    rake: float,
    friction: float,
    window_days: int,
    step_days: int,
    min_days: int,
) -> dict[str, Any]:
    from products.methods._common import require

    for part in series:
        span = part.values.size * part.interval / 86400.0
        require(
            span >= window_days,
            f"lurr needs {window_days} days of {part.station} {part.item}; it has {span:.1f}",
            have=span,
            need=window_days,
        )
    stations = [
        station_lurr(
            part,
            strike=strike,
            dip=dip,
            rake=rake,
            friction=friction,
            window_days=window_days,
            step_days=step_days,
            min_days=min_days,
        )
        for part in series
    ]
    return {
        "fault": {"strike": strike, "dip": dip, "rake": rake, "friction": friction},
        "window_days": window_days,
        "step_days": step_days,
        "stations": stations,
    }
