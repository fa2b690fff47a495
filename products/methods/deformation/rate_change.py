"""速率变化 (the series form of ``rate_change``): the change of a trend rate by a hinge
(continuous piecewise-linear) fit of the daily means, the change point and its uncertainty.

* Model (two-phase regression joined at the change point τ, Hinkley 1969, "Inference about
  the intersection in two-phase regression", Biometrika 56:495-504):
  ``y(t) = a + b·(t - τ) + c·max(0, t - τ) + ε``; the rate is b before τ and b + c after.
  For a fixed τ the fit is linear least squares; τ is found by minimising the residual
  sum of squares RSS(τ) over a quarter-day grid, refined by a bounded scalar search,
  each side keeping at least ``min_segment_days``. t is the centre of each Beijing day.
* Uncertainty by profile likelihood: the ``confidence`` interval of τ is the set where
  ``RSS(τ) - RSS(τ̂) <= χ²₁(confidence) · σ̂² · f`` (likelihood-ratio interval; for a
  continuous hinge the change point is a regular parameter, Feder 1975, Ann. Statist.
  3:49-83), σ̂² = RSS(τ̂)/(n - 4). Daily means of tilt or strain are autocorrelated, which
  makes such an interval too narrow; f = (1 + ρ)/(1 - ρ) with ρ the lag-1 autocorrelation
  of the residual (the effective-sample-size correction of Santer et al. 2000, J. Geophys.
  Res. 105:7337-7356) widens it, and the rates' standard errors alike.
* Evidence for a change at all: ΔBIC = n·ln(RSS_line/RSS_hinge) - 2·ln n (Schwarz 1978,
  Ann. Statist. 6:461-464; the hinge has two more parameters, τ and c); above 0 the hinge
  is preferred, above 10 strongly. It is not a p-value (τ does not exist under a straight
  line, so the F distribution does not apply).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import numpy as np

from products.methods._common import fnum, require
from products.methods.series_common import daily_values, finite_list, iso_days

if TYPE_CHECKING:
    from products.series_inputs import SeriesInput

YEAR = 365.25
STEP = 0.25  # days between the grid's trial change points


def _design(t: np.ndarray, tau: float) -> np.ndarray:
    return np.column_stack([np.ones_like(t), t - tau, np.maximum(0.0, t - tau)])


def _fit(t: np.ndarray, y: np.ndarray, tau: float) -> tuple[np.ndarray, float]:
    design = _design(t, tau)
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ coef
    return coef, float(residual @ residual)


def _lag1(residual: np.ndarray, t: np.ndarray) -> float:
    consecutive = np.diff(t) == 1.0  # pairs of neighbouring days only
    if consecutive.sum() < 10:
        return 0.0
    a, b = residual[:-1][consecutive], residual[1:][consecutive]
    return float(np.corrcoef(a, b)[0, 1])


def hinge_rate_change(
    *, series: list[SeriesInput], min_segment_days: int, confidence: float
) -> dict[str, Any]:
    from scipy import optimize, stats  # scipy loads when a run needs it (see products.methods.canvas)

    part = series[0]
    days, daily = daily_values(part, min_coverage=0.5)
    need = max(2 * min_segment_days, 10)
    require(
        int(np.isfinite(daily).sum()) >= need and days.size - 1 >= 2 * min_segment_days,
        f"rate_change needs at least {need} days with data spanning "
        f"{2 * min_segment_days} days; the series has {int(np.isfinite(daily).sum())}",
        have=int(np.isfinite(daily).sum()),
        need=need,
    )
    present = np.isfinite(daily)
    t = np.arange(days.size, dtype=float)[present] + 0.5
    y = daily[present]
    lo, hi = t[0] + min_segment_days, t[-1] - min_segment_days
    grid = np.arange(lo, hi + STEP / 2, STEP)
    profile = np.array([_fit(t, y, tau)[1] for tau in grid])
    best = int(np.argmin(profile))
    refined = optimize.minimize_scalar(
        lambda tau: _fit(t, y, tau)[1],
        bounds=(grid[max(best - 1, 0)], grid[min(best + 1, grid.size - 1)]),
        method="bounded",
        options={"xatol": 1e-4},
    )
    tau = float(refined.x)
    coef, rss = _fit(t, y, tau)
    n = t.size
    residual = y - _design(t, tau) @ coef
    rho = _lag1(residual, t)
    inflation = (1 + rho) / (1 - rho) if 0.0 < rho < 0.99 else (199.0 if rho >= 0.99 else 1.0)
    sigma2 = rss / (n - 4)
    threshold = float(stats.chi2.ppf(confidence, 1)) * sigma2 * inflation

    def excess(value: float) -> float:
        return _fit(t, y, value)[1] - rss - threshold

    # the connected part of {RSS - RSS_min <= threshold} around τ̂, its ends by root finding
    inside = profile - rss <= threshold
    left = best
    while left > 0 and inside[left - 1]:
        left -= 1
    right = best
    while right < grid.size - 1 and inside[right + 1]:
        right += 1
    ci_low = grid[0] if left == 0 else optimize.brentq(excess, grid[left - 1], min(grid[left], tau))
    ci_high = (
        grid[-1]
        if right == grid.size - 1
        else optimize.brentq(excess, max(grid[right], tau), grid[right + 1])
    )
    open_ended = left == 0 or right == grid.size - 1

    line = np.polyfit(t, y, 1)
    rss_line = float(np.sum((y - np.polyval(line, t)) ** 2))
    delta_bic = n * np.log(rss_line / rss) - 2 * np.log(n) if rss > 0 else float("inf")
    covariance = sigma2 * inflation * np.linalg.inv(_design(t, tau).T @ _design(t, tau))
    before, change = coef[1], coef[2]
    se_before = float(np.sqrt(covariance[1, 1]))
    se_after = float(np.sqrt(covariance[1, 1] + covariance[2, 2] + 2 * covariance[1, 2]))

    first = dt.datetime.fromisoformat(str(days[0])).replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))

    def moment(value: float) -> str:
        return (first + dt.timedelta(days=float(value))).astimezone(dt.UTC).isoformat()

    fitted = np.full(days.size, np.nan)
    everywhere = np.arange(days.size, dtype=float) + 0.5
    fitted[:] = _design(everywhere, tau) @ coef
    return {
        "channel": part.channel,
        "station": part.station,
        "item": part.item,
        "unit": part.unit,
        "n_days": n,
        "change_time": moment(tau),
        "change_day": str(days[0] + np.timedelta64(int(np.floor(tau)), "D")),
        "ci_low": moment(ci_low),
        "ci_high": moment(ci_high),
        "ci_days": round(float(ci_high - ci_low), 3),
        "ci_open": bool(open_ended),
        "confidence": confidence,
        "rate_before": fnum(before * YEAR, 6),
        "rate_after": fnum((before + change) * YEAR, 6),
        "rate_before_se": fnum(se_before * YEAR, 6),
        "rate_after_se": fnum(se_after * YEAR, 6),
        "rate_unit": f"{part.unit}/a",
        "residual_lag1": round(rho, 4),
        "delta_bic": fnum(delta_bic, 3),
        "min_segment_days": min_segment_days,
        "profile": {
            "offset_days": finite_list(grid[:: max(1, grid.size // 2000)], 3),
            "rss": finite_list(profile[:: max(1, grid.size // 2000)], 9),
            "threshold": fnum(rss + threshold, 9),
        },
        "days": iso_days(days),
        "daily": finite_list(daily),
        "fitted": finite_list(fitted),
    }
