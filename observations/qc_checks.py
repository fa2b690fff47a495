"""The machine's quality-control checks of one channel's samples (质控机器预审): pure numpy and
scipy, no Django, so ``bench/qc_bench.py`` and the tests measure this very code.

Input: one channel's samples as float32 with NaN for gaps, element i at
``start + i * interval``, covering the days to check plus a margin of the neighbouring days
(:attr:`QcParams.margin_samples`) so that windows at midnight see context. :func:`check_series`
finds the flagged spans ``[start, end)`` (sample indexes) of the whole array in one pass;
:func:`summarise_day` turns the spans into one UTC day's counts. :func:`departures` is the
short-term against long-term check of the daily means.

The checks and their sources:

* availability — present samples / expected samples (those stamped before the time of the
  check), in %; after SeisComP scqc's *availability* parameter
  (https://www.seiscomp.de/doc/apps/scqc.html).
* gaps — runs of missing samples; the count is the number of runs (scqc *gaps count*).
  A whole day without a stored row is one gap over the day.
* spikes — the Hampel identifier (Hampel 1974, *J. Amer. Statist. Assoc.* 69:383; as a
  moving-window filter, Pearson 2002, *IEEE Trans. Control Syst. Technol.* 10:55): a sample
  is a spike when ``|x - moving median| > k * 1.4826 * MAD``. The median runs over
  ``spike_window`` samples; the MAD is taken per block of ``scale_block`` samples (a MAD of
  a few dozen samples is itself too noisy: at national scale it would raise hundreds of
  false spikes a day). The threshold never goes below ``quantum_floor`` quanta of the
  data's resolution (the smallest step between two samples), so a quantised or nearly flat
  signal whose MAD is 0 does not flag every change of one quantum. Runs longer than half
  the window are level changes, not spikes.
* steps — scqc's *offset* idea as a level shift that persists: a jump between two
  consecutive samples larger than ``step_k`` robust spreads of the first differences (and
  ``quantum_floor`` quanta) where the median of the ``step_window`` samples after differs
  from the median of those before, less what the signal's own trend accounts for (a third
  of the difference between the medians of the windows one further out), by at least
  ``step_persist`` of the jump (a spike goes back, a step stays: 2/3 of it remains).
  A jump across a gap cannot be told from the signal's own change during the gap, so it
  is not checked. A jump of one sample under ~8 times the sample noise is not told from
  the noise either.
* flat lines — runs of identical values lasting at least ``flat_min_seconds`` and
  ``flat_min_samples`` samples (a stuck digitiser or a frozen logger repeats its last value).
  Flat runs (and out-of-range samples) are left out of the spike and step checks: their
  end is the flat line's, not a second fault.
* out of range — samples outside the channel's plausible minimum / maximum.
* timestamp faults — our storage keeps samples on a fixed grid from the file's timestamps,
  so the one timestamp fault it can show is a sample stamped after the time of the check
  (a clock ahead, or a wrong date in the file). Out-of-order and off-interval timestamps
  are refused by the import (``series_import``) and never stored.
* departure — the short-term against long-term average (STA/LTA after Allen 1978,
  *BSSA* 68:1521, as used for precursor series by Withers et al. 1998, *BSSA* 88:95): the
  day's mean against the mean and standard deviation of the previous ``lta_days`` daily
  means; alarm when ``|mean - LTA| / spread > departure_k``; none until ``lta_min_days``
  long-term days with enough samples exist.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

MAD_TO_SIGMA = 1.4826

GAP = "gap"
SPIKE = "spike"
STEP = "step"
FLAT = "flat"
OUT_OF_RANGE = "out_of_range"
TIMESTAMP = "timestamp"
DEPARTURE = "departure"


@dataclass(frozen=True)
class QcParams:
    """The checks' parameters (defaults for minute data; all in samples or seconds).

    * ``spike_window`` — samples in the Hampel moving median (odd).
    * ``spike_k`` — robust spreads from the moving median that make a spike (7: a Gaussian
      tail of ~1e-12 per sample, no false spike in a year of the national network).
    * ``scale_block`` — samples per block over which the robust spread (MAD) is taken.
    * ``quantum_floor`` — no spike or step smaller than this many quanta of the data.
    * ``step_k`` — robust spreads of the first differences that make a jump a step candidate
      (6: 8.5 of the samples' noise; a smaller jump of one sample is not told from noise).
    * ``step_window`` — samples before and after a jump whose medians must differ.
    * ``step_persist`` — the part of the jump the trend-corrected medians must keep (a clean
      step keeps 2/3; a spike, nothing).
    * ``flat_min_seconds`` / ``flat_min_samples`` — the shortest flat line (both must hold).
    * ``availability_min`` — a day under this availability (%) is flagged for a person.
    * ``lta_days`` / ``lta_min_days`` — long-term days for the departure, and the fewest
      with which it is computed; ``lta_day_min_availability`` — the share (%) of a day's
      samples for its mean to count (short-term or long-term).
    * ``departure_k`` — spreads of the long-term daily means that raise the alarm.
    * ``margin_seconds`` — context read on each side of the days checked.
    """

    spike_window: int = 11
    spike_k: float = 7.0
    scale_block: int = 240
    quantum_floor: float = 4.0
    step_k: float = 6.0
    step_window: int = 30
    step_persist: float = 0.4
    flat_min_seconds: int = 3600
    flat_min_samples: int = 5
    availability_min: float = 90.0
    lta_days: int = 30
    lta_min_days: int = 14
    lta_day_min_availability: float = 50.0
    departure_k: float = 4.0
    margin_seconds: int = 3 * 3600

    def margin_samples(self, interval: int) -> int:
        """Samples of context on each side: the margin in time, and at least enough for the
        windows and the shortest flat line at a coarse interval (a daily channel)."""
        return max(
            math.ceil(self.margin_seconds / interval),
            self.spike_window,
            2 * self.step_window,
            self.flat_min_samples,
            math.ceil(self.flat_min_seconds / interval),
        )


@dataclass(frozen=True)
class Span:
    """One flagged span of samples ``[start, end)`` (indexes into the checked array)."""

    kind: str
    start: int
    end: int
    value: float | None = None
    at: int | None = None  # the sample that defines it (a spike's peak, a step's first sample)


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and ends (exclusive) of the runs of True in ``mask``."""
    if mask.size == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def quantum(values: np.ndarray) -> float:
    """The data's resolution: the smallest step between consecutive samples (the last digit a
    logger writes), read as the 1st percentile of the steps larger than float32's own
    rounding (a few units in the last place); 0 when there is none."""
    present = values[~np.isnan(values)].astype(np.float64)
    if present.size < 2:
        return 0.0
    steps = np.abs(np.diff(present))
    ulp = 4 * float(np.finfo(np.float32).eps) * float(np.max(np.abs(present)))
    steps = steps[steps > ulp]
    return float(np.percentile(steps, 1)) if steps.size else 0.0


def _row_nanmedian(rows: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The median of each row ignoring NaN (``counts`` present values a row; NaN for none):
    one sort, NaN sorting last (numpy's nanmedian over many rows is ~20 times slower)."""
    ordered = np.sort(rows, axis=1)
    c = np.maximum(counts, 1)
    low = np.take_along_axis(ordered, ((c - 1) // 2)[:, None], axis=1)[:, 0]
    high = np.take_along_axis(ordered, (c // 2)[:, None], axis=1)[:, 0]
    return np.where(counts > 0, (low + high) / 2, np.nan)


def _block_scale(residual: np.ndarray, block: int, q: float = 0.0) -> np.ndarray:
    """1.4826 * MAD of ``residual`` per block of ``block`` samples (NaN ignored), spread
    back to one value per sample; a block with too few samples takes the median scale.
    For data of resolution ``q`` the MAD is itself a whole number of quanta, up to half a
    quantum below the noise's: half a quantum is added so the scale is not underestimated."""
    n = residual.size
    blocks = -(-n // block)
    padded = np.full(blocks * block, np.nan)
    padded[:n] = residual
    shaped = padded.reshape(blocks, block)
    counts = (~np.isnan(shaped)).sum(axis=1)
    centre = _row_nanmedian(shaped, counts)
    scale = MAD_TO_SIGMA * (_row_nanmedian(np.abs(shaped - centre[:, None]), counts) + q / 2)
    good = counts >= max(5, block // 4)
    fallback = float(np.median(scale[good])) if good.any() else 0.0
    scale = np.where(good, scale, fallback)
    return np.repeat(scale, block)[:n]


def _filled(values: np.ndarray) -> np.ndarray:
    """NaN replaced by the previous present value (the next one at the start), so a median
    filter can run over gaps; only present samples are judged."""
    present = ~np.isnan(values)
    if not present.any():
        return np.zeros_like(values)
    index = np.where(present, np.arange(values.size), 0)
    np.maximum.accumulate(index, out=index)
    out = values[index]
    first = int(np.argmax(present))
    out[:first] = values[first]
    return out


def find_flat(values: np.ndarray, interval: int, params: QcParams) -> list[Span]:
    x = values
    same = np.zeros(x.size, dtype=bool)
    if x.size > 1:
        eq = (x[1:] == x[:-1]) & ~np.isnan(x[1:])
        same[1:] = eq
    # a run of equal values: its first sample plus the following equal ones
    starts, ends = _runs(same)
    spans = []
    min_samples = max(params.flat_min_samples, math.ceil(params.flat_min_seconds / interval))
    for s, e in zip(starts - 1, ends, strict=True):
        if e - s >= min_samples:
            spans.append(Span(FLAT, int(s), int(e), float(x[s])))
    return spans


def find_spikes(values: np.ndarray, params: QcParams, q: float) -> list[Span]:
    # scipy loads when a check needs it, not with every process (products.methods.canvas)
    from scipy.ndimage import median_filter

    present = ~np.isnan(values)
    if present.sum() < params.spike_window:
        return []
    x = values.astype(np.float64)
    median = median_filter(_filled(x), size=params.spike_window, mode="nearest")
    residual = np.where(present, x - median, np.nan)
    # Where the signal moves by about its noise from one sample to the next (a tide's
    # flank), the centre sample is often its window's median and the residuals' MAD falls
    # to 0; the first differences keep the noise (sigma * sqrt 2), so the larger of the two
    diff = np.full(x.size, np.nan)
    diff[1:] = x[1:] - x[:-1]
    scale = np.maximum(
        _block_scale(residual, params.scale_block, q),
        _block_scale(diff, params.scale_block, q) / math.sqrt(2),
    )
    threshold = np.maximum(params.spike_k * scale, params.quantum_floor * q)
    with np.errstate(invalid="ignore"):
        hit = present & (np.abs(residual) > threshold) & (threshold > 0)
    starts, ends = _runs(hit)
    spans = []
    for s, e in zip(starts, ends, strict=True):
        if e - s > params.spike_window // 2:
            continue  # a level change, not an outlier
        peak = int(s + np.argmax(np.abs(residual[s:e])))
        spans.append(Span(SPIKE, int(s), int(e), float(residual[peak]), peak))
    return spans


def find_steps(values: np.ndarray, params: QcParams, q: float) -> list[Span]:
    x = values.astype(np.float64)
    if x.size < 2 * params.step_window:
        return []
    diff = np.full(x.size, np.nan)
    diff[1:] = x[1:] - x[:-1]  # NaN where either side is missing: no step across a gap
    scale = _block_scale(diff, params.scale_block, q)
    threshold = np.maximum(params.step_k * scale, params.quantum_floor * q)
    with np.errstate(invalid="ignore"):
        candidates = np.flatnonzero((np.abs(diff) > threshold) & (threshold > 0))
    spans = []
    w = params.step_window
    for i in candidates:
        before, after = x[max(0, i - w) : i], x[i : i + w]
        if np.isnan(before).all() or np.isnan(after).all():
            continue
        # the signal's own trend (a tide's flank) moves the medians apart too: a linear trend
        # moves the medians of the windows one further out on each side three times as far,
        # a step by as much; so shift - far / 3 is 2/3 of a step and nothing of a trend
        far_before, far_after = x[max(0, i - 2 * w) : max(0, i - w)], x[i + w : i + 2 * w]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            shift = float(np.nanmedian(after) - np.nanmedian(before))
            far = float(np.nanmedian(far_after) - np.nanmedian(far_before)) if far_before.size else np.nan
        if np.isfinite(far):
            shift -= far / 3
        if not np.isfinite(shift):
            continue
        jump = float(diff[i])
        if shift * jump > 0 and abs(shift) >= params.step_persist * abs(jump):
            spans.append(Span(STEP, int(i), int(i) + 1, jump, int(i)))
    return spans


def find_out_of_range(values: np.ndarray, low: float | None, high: float | None) -> list[Span]:
    if low is None and high is None:
        return []
    lo = -np.inf if low is None else low
    hi = np.inf if high is None else high
    with np.errstate(invalid="ignore"):
        outside = ~np.isnan(values) & ((values < lo) | (values > hi))
    starts, ends = _runs(outside)
    out = []
    for s, e in zip(starts, ends, strict=True):
        worst = int(s + np.argmax(np.abs(values[s:e].astype(np.float64))))
        out.append(Span(OUT_OF_RANGE, int(s), int(e), float(values[worst]), worst))
    return out


def find_gaps(values: np.ndarray, upto: int) -> list[Span]:
    """Runs of missing samples among the first ``upto`` (the samples expected by now)."""
    starts, ends = _runs(np.isnan(values[: max(0, upto)]))
    return [Span(GAP, int(s), int(e), float(e - s)) for s, e in zip(starts, ends, strict=True)]


def find_future(values: np.ndarray, now_index: int) -> list[Span]:
    """Samples stamped after the time of the check (index ``now_index`` on)."""
    tail = ~np.isnan(values[max(0, now_index) :])
    if not tail.any():
        return []
    present = np.flatnonzero(tail) + max(0, now_index)
    return [Span(TIMESTAMP, int(present[0]), int(present[-1]) + 1, float(present.size))]


def check_series(
    values: np.ndarray,
    *,
    interval: int,
    now_index: int,
    plausible_min: float | None = None,
    plausible_max: float | None = None,
    params: QcParams | None = None,
) -> list[Span]:
    """Every flagged span of ``values`` (gaps only before ``now_index``, the first sample
    stamped at or after the time of the check)."""
    params = params or QcParams()
    x = np.asarray(values, dtype=np.float32)
    spans: list[Span] = []
    spans += find_gaps(x, min(now_index, x.size))
    spans += find_future(x, now_index)
    outside = find_out_of_range(x, plausible_min, plausible_max)
    spans += outside
    flats = find_flat(x, interval, params)
    spans += flats
    # flat runs and out-of-range samples are judged by their own checks, not as spikes
    judged = x.copy()
    for span in [*flats, *outside]:
        judged[span.start : span.end] = np.nan
    q = quantum(judged)
    spans += find_spikes(judged, params, q)
    spans += find_steps(judged, params, q)
    return spans


def day_mean(values: np.ndarray) -> tuple[float | None, int]:
    present = values[~np.isnan(values)]
    return (float(present.astype(np.float64).mean()) if present.size else None), int(present.size)


def departures(
    means: list[float | None],
    fractions: list[float],
    params: QcParams | None = None,
    *,
    first: int = 0,
    resolution: float = 0.0,
) -> list[float | None]:
    """The departure of each day ``i >= first`` of the daily ``means`` (None when the day
    has no samples; ``fractions`` the share of its expected samples, in %): ``|mean_i -
    LTA| / spread`` over the previous ``lta_days`` days that have enough samples, None
    with fewer than ``lta_min_days`` of them. The spread is the standard deviation of the
    long-term means, not below the data's resolution (a constant series has none)."""
    params = params or QcParams()
    usable = np.array(
        [
            m is not None and f >= params.lta_day_min_availability
            for m, f in zip(means, fractions, strict=True)
        ]
    )
    arr = np.array([np.nan if m is None else m for m in means], dtype=np.float64)
    out: list[float | None] = []
    for i in range(first, len(means)):
        if not usable[i]:
            out.append(None)
            continue
        lo = max(0, i - params.lta_days)
        window = arr[lo:i][usable[lo:i]]
        if window.size < params.lta_min_days:
            out.append(None)
            continue
        spread = float(window.std(ddof=1))
        floor = max(resolution, abs(float(window.mean())) * 1e-6, 1e-12)
        out.append(abs(arr[i] - float(window.mean())) / max(spread, floor))
    return out
