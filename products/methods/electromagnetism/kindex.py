"""The K index of geomagnetic activity from the H component by the FMI method.

* K (Bartels, Heck & Johnston 1939, Terr. Magn. Atmos. Electr. 44:411) is the class of the
  largest range, in a three-hour UT block, of the field after the regular daily variation
  (Sq) is removed, on the quasi-logarithmic scale 0, 5, 10, 20, 40, 70, 120, 200, 330, 500 nT
  for an observatory whose K = 9 lower limit is 500 nT, scaled by the station's own limit.
* The Sq curve is estimated by the FMI method (Sucksdorff, Pirjola & Häkkinen 1991,
  Ann. Geophys. 9:222): a preliminary K of each block from the raw range; then the mean of
  each hour taken over the hour widened on both sides by 30 + K³·³ minutes (K of the block
  holding that hour), so that a disturbed hour's mean draws on a longer span and follows
  the disturbance less; the hourly means, joined into a curve (linearly here), are
  subtracted and K taken again from the residual's range; the widening and subtraction are
  done twice, as in the method. Only H is used here (the method takes the larger of the H
  and D ranges where D is recorded).
"""

from __future__ import annotations

import warnings

import numpy as np

SCALE_500 = np.array([0, 5, 10, 20, 40, 70, 120, 200, 330, 500], dtype=float)
BLOCK_MIN = 180


def k_from_range(ranges: np.ndarray, k9_limit: float) -> np.ndarray:
    """K class of each range (nT) for a station with the given K = 9 lower limit; -1 where NaN."""
    limits = SCALE_500 * k9_limit / 500.0
    k = np.searchsorted(limits, ranges, side="right") - 1
    return np.where(np.isfinite(ranges), np.clip(k, 0, 9), -1)


def _block_range(minutes: np.ndarray, min_coverage: float) -> np.ndarray:
    blocks = minutes.reshape(-1, BLOCK_MIN)
    present = np.isfinite(blocks).sum(axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows give NaN, as meant
        spread = np.nanmax(blocks, axis=1) - np.nanmin(blocks, axis=1)
    return np.where(present >= min_coverage * BLOCK_MIN, spread, np.nan)


def _sq_curve(minutes: np.ndarray, k_block: np.ndarray) -> np.ndarray:
    """Hourly means over hours widened by 30 + K^3.3 minutes, interpolated to minutes."""
    n = minutes.size
    finite = np.isfinite(minutes)
    csum = np.concatenate([[0.0], np.cumsum(np.where(finite, minutes, 0.0))])
    ccount = np.concatenate([[0], np.cumsum(finite)])
    hours = n // 60
    k_hour = np.repeat(np.maximum(k_block, 0), BLOCK_MIN // 60)[:hours]
    widen = np.round(30 + k_hour.astype(float) ** 3.3).astype(np.int64)
    start = np.arange(hours) * 60
    lo = np.clip(start - widen, 0, n)
    hi = np.clip(start + 60 + widen, 0, n)
    count = ccount[hi] - ccount[lo]
    means = np.where(count > 0, (csum[hi] - csum[lo]) / np.maximum(count, 1), np.nan)
    centre = start + 30.0
    ok = np.isfinite(means)
    if not ok.any():
        return np.full(n, np.nan)
    return np.interp(np.arange(n, dtype=float), centre[ok], means[ok])


def k_index(minutes: np.ndarray, k9_limit: float, min_coverage: float = 0.5) -> np.ndarray:
    """K of each three-hour block of H minute values that start at 00:00 UT (length a
    multiple of 180); -1 for a block with too few samples."""
    k = k_from_range(_block_range(minutes, min_coverage), k9_limit)
    for _ in range(2):
        residual = minutes - _sq_curve(minutes, k)
        k = k_from_range(_block_range(residual, min_coverage), k9_limit)
    return k


def to_minutes_ut_days(
    values: np.ndarray, start: np.datetime64, interval: int
) -> tuple[np.datetime64, np.ndarray]:
    """Minute values on whole UT days (NaN padded): (first minute, values). Samples finer
    than a minute are averaged into their minute."""
    if interval < 60:
        per = 60 // interval
        usable = values.size - values.size % per
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows give NaN, as meant
            values = np.nanmean(values[:usable].reshape(-1, per), axis=1)
        interval = 60
    start_s = start.astype("datetime64[s]")
    day0 = start_s.astype("datetime64[D]").astype("datetime64[s]")
    offset = int((start_s - day0) / np.timedelta64(60, "s"))
    step = interval // 60
    length = offset + values.size * step
    total = -(-length // 1440) * 1440
    out = np.full(total, np.nan)
    out[offset : offset + values.size * step : step] = values
    return day0.astype("datetime64[m]"), out
