"""趋势残差: the residual of a series from its trend, and the days where it leaves the
k·σ band, as candidate anomalies.

* The trend is a least-squares harmonic regression of the daily means (Beijing days with at
  least 80 % of their samples): an offset, a linear drift and the annual and semi-annual
  cycles (Wilks, *Statistical Methods in the Atmospheric Sciences*, 3rd ed. 2011, section
  9.4, "Frequency domain I: harmonic analysis"); with ``trend="moving"`` (the default) a
  centred running median over ``window_days`` of what that fit leaves is added to it
  (Tukey, *Exploratory Data Analysis*, 1977, ch. 7), so slow departures from the cycles
  are followed while an anomaly shorter than half the window is not.
* σ is robust: 1.4826 × the median absolute deviation of the residual (the consistency
  constant for normal data, Rousseeuw & Croux 1993, JASA 88:1273), so an anomaly does not
  inflate its own threshold.
* A candidate anomaly is a run of at least ``min_days`` consecutive days beyond ±k·σ on
  one side: the k-sigma rule of a Shewhart control chart with a run length (Montgomery,
  *Introduction to Statistical Quality Control*, 7th ed. 2013, ch. 6).
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from products.methods.series_common import daily_values, finite_list, iso_days, require_days, runs

if TYPE_CHECKING:
    from products.series_inputs import SeriesInput

YEAR_DAYS = 365.2422


def moving_trend(values: np.ndarray, window: int) -> np.ndarray:
    """Centred running median over ``window`` days of the days present (NaN-aware). A
    median, not a mean: an anomaly shorter than half the window does not lift the trend
    around it, so it leaves no mirror-image residual on its flanks (Tukey 1977)."""
    half = window // 2
    padded = np.concatenate([np.full(half, np.nan), values, np.full(window - 1 - half, np.nan)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, window)
    count = np.isfinite(windows).sum(axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN window is NaN, as meant
        trend = np.nanmedian(windows, axis=1)
    trend[count < max(3, window // 3)] = np.nan
    return trend


def annual_trend(days: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Least squares a + b·t + annual + semi-annual harmonics over the days present."""
    t = (days - days[0]).astype(float)
    omega = 2 * np.pi / YEAR_DAYS
    design = np.column_stack(
        [
            np.ones_like(t),
            t,
            np.cos(omega * t),
            np.sin(omega * t),
            np.cos(2 * omega * t),
            np.sin(2 * omega * t),
        ]
    )
    present = np.isfinite(values)
    coef, *_ = np.linalg.lstsq(design[present], values[present], rcond=None)
    return design @ coef


def trend_residual(
    *, series: list[SeriesInput], trend: str, window_days: int, k: float, min_days: int
) -> dict[str, Any]:
    part = series[0]
    days, daily = daily_values(part, min_coverage=0.8)
    need = max(2 * window_days, 30) if trend == "moving" else 365
    require_days("trend_residual", daily, need)
    fitted = annual_trend(days.astype(np.int64), daily)
    if trend == "moving":
        # the running median follows what the global fit leaves; on its own it would lag
        # half a window behind a slope at both ends of the series
        fitted = fitted + moving_trend(daily - fitted, window_days)
    residual = daily - fitted
    finite = residual[np.isfinite(residual)]
    sigma = float(1.4826 * np.median(np.abs(finite - np.median(finite))))
    if sigma == 0.0:
        sigma = float(np.std(finite))
    exceed_up = residual > k * sigma
    exceed_down = residual < -k * sigma
    anomalies = []
    for sign, mask in ((1, exceed_up), (-1, exceed_down)):
        for start, end in runs(mask):
            if end - start < min_days:
                continue
            peak = start + int(np.nanargmax(np.abs(residual[start:end])))
            anomalies.append(
                {
                    "start": str(days[start]),
                    "end": str(days[end - 1]),
                    "days": end - start,
                    "sign": sign,
                    "peak_day": str(days[peak]),
                    "peak_sigma": round(float(residual[peak] / sigma), 2),
                }
            )
    anomalies.sort(key=lambda a: a["start"])
    return {
        "channel": part.channel,
        "station": part.station,
        "item": part.item,
        "unit": part.unit,
        "trend": trend,
        "window_days": window_days if trend == "moving" else None,
        "k": k,
        "min_days": min_days,
        "sigma": round(sigma, 9),
        "n_days": int(np.isfinite(daily).sum()),
        "days": iso_days(days),
        "daily": finite_list(daily),
        "fitted": finite_list(fitted),
        "residual": finite_list(residual),
        "anomalies": anomalies,
    }
