"""k 倍均方差 (k·σ) anomalies: the days where a detrended daily series stays beyond k
standard deviations, on one side, for at least ``min_days`` days in a row.

* Detrending (``detrend``): ``linear`` - a least-squares straight line (the drift of a tilt
  or strain instrument); ``annual`` - the line plus annual and semi-annual harmonics
  (harmonic regression, Wilks, *Statistical Methods in the Atmospheric Sciences*, 3rd ed.
  2011, section 9.4), for series with a seasonal cycle; ``moving`` - the annual fit plus a
  centred running median of what it leaves over ``window_days`` (Tukey 1977, ch. 7), which
  follows slow bends but lets through an anomaly shorter than half the window.
* σ (``sigma``): ``robust`` - 1.4826 × the median absolute deviation of the residual about
  its median, which equals the standard deviation for normal data (Rousseeuw & Croux 1993,
  JASA 88:1273-1283) and is not inflated by the anomaly it is meant to find; ``std`` - the
  sample standard deviation. The band is centred on the residual's median.
* An exceedance is a run of at least ``min_days`` consecutive days beyond the band on one
  side: the k-sigma rule of a Shewhart chart with a run length (Montgomery, *Introduction
  to Statistical Quality Control*, 7th ed. 2013, ch. 6). A day without data ends a run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from products.methods.fluids.trend_residual import annual_trend, moving_trend
from products.methods.series_common import daily_values, finite_list, iso_days, require_days, runs

if TYPE_CHECKING:
    from products.series_inputs import SeriesInput


def detrended(days: np.ndarray, daily: np.ndarray, detrend: str, window_days: int) -> np.ndarray:
    """The trend of ``daily`` by the chosen detrending (NaN where the series is)."""
    index = (days - days[0]).astype(np.int64).astype(float)
    if detrend == "linear":
        present = np.isfinite(daily)
        line = np.polyfit(index[present], daily[present], 1)
        return np.polyval(line, index)
    trend = annual_trend(days.astype(np.int64), daily)
    if detrend == "moving":
        trend = trend + moving_trend(daily - trend, window_days)
    return trend


def k_sigma(
    *,
    series: list[SeriesInput],
    detrend: str,
    window_days: int,
    sigma: str,
    k: float,
    min_days: int,
) -> dict[str, Any]:
    part = series[0]
    days, daily = daily_values(part, min_coverage=0.5)
    need = {"linear": 30, "annual": 365, "moving": max(365, 2 * window_days)}[detrend]
    require_days("k_sigma", daily, need)
    trend = detrended(days, daily, detrend, window_days)
    residual = daily - trend
    finite = residual[np.isfinite(residual)]
    centre = float(np.median(finite))
    if sigma == "robust":
        scale = float(1.4826 * np.median(np.abs(finite - centre)))
    else:
        scale = float(np.std(finite, ddof=1))
    if scale == 0.0:
        scale = float(np.std(finite, ddof=1)) or 1.0
    z = (residual - centre) / scale
    exceedances = []
    for sign, mask in ((1, z > k), (-1, z < -k)):
        for start, end in runs(mask):
            if end - start < min_days:
                continue
            peak = start + int(np.nanargmax(np.abs(z[start:end])))
            exceedances.append(
                {
                    "start": str(days[start]),
                    "end": str(days[end - 1]),
                    "days": end - start,
                    "sign": sign,
                    "peak_day": str(days[peak]),
                    "peak_sigma": round(float(z[peak]), 2),
                }
            )
    exceedances.sort(key=lambda e: e["start"])
    return {
        "channel": part.channel,
        "station": part.station,
        "item": part.item,
        "unit": part.unit,
        "detrend": detrend,
        "window_days": window_days if detrend == "moving" else None,
        "sigma_method": sigma,
        "sigma": round(scale, 9),
        "centre": round(centre, 9),
        "k": k,
        "min_days": min_days,
        "n_days": int(np.isfinite(daily).sum()),
        "n_exceedances": len(exceedances),
        "exceedance_days": int(sum(e["days"] for e in exceedances)),
        "exceedances": exceedances,
        "days": iso_days(days),
        "daily": finite_list(daily),
        "trend": finite_list(trend),
        "residual": finite_list(residual),
    }
