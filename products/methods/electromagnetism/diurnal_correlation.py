"""日变化空间相关: the correlation coefficient of the diurnal variation curves of two
stations, day by day.

Two stations a few hundred kilometres apart see the same ionospheric Sq current system, so
their daily curves of a component are nearly proportional; a local source at one of them
lowers the correlation. Each Beijing day's curve is the series averaged into bins of
``bin_minutes`` (which suppresses noise shorter than the diurnal shape); the day's value is
Pearson's product-moment correlation r of the two curves over the bins both have (Pearson
1895, Proc. R. Soc. Lond. 58:240), for a day with at least ``min_coverage`` of its bins in
both. Days with r below ``r_threshold`` are listed.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from products.methods._common import require
from products.methods.series_common import finite_list, iso_days, require_days, runs

from ._grid import align, day_grid

if TYPE_CHECKING:
    from products.series_inputs import SeriesInput


def binned(grid: np.ndarray, interval: int, bin_minutes: int) -> np.ndarray:
    per_bin = max(1, bin_minutes * 60 // interval)
    usable = grid.shape[1] - grid.shape[1] % per_bin
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an empty bin is NaN, as meant
        return np.nanmean(grid[:, :usable].reshape(grid.shape[0], -1, per_bin), axis=2)


def row_correlation(a: np.ndarray, b: np.ndarray, min_count: int) -> np.ndarray:
    """Pearson r of each row pair over the columns both have (NaN below ``min_count``)."""
    both = np.isfinite(a) & np.isfinite(b)
    count = both.sum(axis=1)
    a0 = np.where(both, a, 0.0)
    b0 = np.where(both, b, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ma = a0.sum(axis=1) / count
        mb = b0.sum(axis=1) / count
        da = np.where(both, a - ma[:, None], 0.0)
        db = np.where(both, b - mb[:, None], 0.0)
        r = (da * db).sum(axis=1) / np.sqrt((da * da).sum(axis=1) * (db * db).sum(axis=1))
    return np.where(count >= min_count, np.clip(r, -1.0, 1.0), np.nan)


def diurnal_correlation(
    *, series: list[SeriesInput], bin_minutes: int, min_coverage: float, r_threshold: float, min_days: int
) -> dict[str, Any]:
    first, second = series
    require(
        86400 % (bin_minutes * 60) == 0 and bin_minutes * 60 >= max(first.interval, second.interval),
        f"diurnal_correlation needs bins that divide a day and hold samples of both series ({bin_minutes} min)",
        have=bin_minutes,
        need=max(first.interval, second.interval) // 60,
    )
    days, (ga, gb) = align([day_grid(first), day_grid(second)])
    a = binned(ga, first.interval, bin_minutes)
    b = binned(gb, second.interval, bin_minutes)
    r = row_correlation(a, b, max(3, int(np.ceil(min_coverage * a.shape[1]))))
    require_days("diurnal_correlation", r, min_days)
    low = np.isfinite(r) & (r < r_threshold)
    return {
        "stations": [first.station, second.station],
        "items": [first.item, second.item],
        "bin_minutes": bin_minutes,
        "r_threshold": r_threshold,
        "days": iso_days(days),
        "r": finite_list(r, 5),
        "mean_r": round(float(np.nanmean(r)), 5),
        "low_days": [str(days[i]) for i in np.flatnonzero(low)],
        "low_runs": [{"start": str(days[s]), "end": str(days[e - 1]), "days": e - s} for s, e in runs(low)],
        "n_days": int(np.isfinite(r).sum()),
    }
