"""Helpers shared by the methods that read observation series (``products.series_inputs``):
daily values in Beijing days, runs of consecutive days, and the checks that refuse input
too short or too gappy, in the words the engine shows the reader."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from ._common import require

if TYPE_CHECKING:
    from products.series_inputs import SeriesInput

BEIJING = np.timedelta64(8, "h")
DAY = np.timedelta64(1, "D")


def daily_values(
    part: SeriesInput, *, how: str = "mean", min_coverage: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """(days, values): one value per Beijing calendar day (datetime64[D]) from the samples of
    the day, ``how`` = mean, median, min, max or range; NaN for a day with less than
    ``min_coverage`` of its samples present (or excluded by QC)."""
    times = part.times() + BEIJING
    days = times.astype("datetime64[D]")
    first, last = days[0], days[-1]
    n_days = int((last - first) / DAY) + 1
    per_day = 86400 // part.interval
    index = ((days - first) / DAY).astype(np.int64)
    grid = np.full((n_days, per_day), np.nan)
    slot = ((times - days.astype("datetime64[s]")) / np.timedelta64(part.interval, "s")).astype(np.int64)
    grid[index, slot] = part.values
    present = (~np.isnan(grid)).sum(axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN days give NaN, as meant
        value = {
            "mean": np.nanmean,
            "median": np.nanmedian,
            "min": np.nanmin,
            "max": np.nanmax,
            "range": lambda g, axis: np.nanmax(g, axis=axis) - np.nanmin(g, axis=axis),
        }[how](grid, axis=1)
    value = np.where(present >= min_coverage * per_day, value, np.nan)
    return first + np.arange(n_days) * DAY, value


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index pairs of the runs of True in ``mask``."""
    padded = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def require_days(name: str, values: np.ndarray, need: int) -> None:
    """Refuse a daily series with fewer than ``need`` days of data."""
    have = int(np.isfinite(values).sum())
    require(
        have >= need,
        f"{name} needs at least {need} days with data; the series has {have}",
        have=have,
        need=need,
    )


def iso_days(days: np.ndarray) -> list[str]:
    return [str(d) for d in days.astype("datetime64[D]")]


def finite_list(values: np.ndarray, ndigits: int = 6) -> list[Any]:
    """Floats rounded, None for NaN (JSON has no NaN)."""
    return [None if not np.isfinite(v) else round(float(v), ndigits) for v in np.asarray(values, dtype=float)]
