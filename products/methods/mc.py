"""Magnitude of completeness (Mc).

- ``maxc``: maximum curvature, the centre of the most populated magnitude bin
  of the non-cumulative frequency-magnitude distribution (Wiemer and Wyss
  2000, BSSA 90(4), 859-869), plus a correction of +0.2 by default (Woessner
  and Wiemer 2005, BSSA 95(2), 684-698). Ties go to the LOWER magnitude bin
  (the first maximum, as ``numpy.argmax`` and seismostats' ``estimate_mc_maxc``
  do).
- ``gft``: goodness-of-fit test (Wiemer and Wyss 2000): for each trial Mc the
  Gutenberg-Richter law fitted above it (Aki-Utsu b, a from the count at or
  above Mc) predicts the cumulative counts S_i of the bins M_i >= Mc; the fit
  is R = 100 - 100 * sum|B_i - S_i| / sum B_i with B_i the observed cumulative
  counts. Mc is the lowest trial with R >= 95, else the lowest with R >= 90,
  else maximum curvature WITHOUT correction, which is what ZMAP's "best
  combination" (mcperc_ca3 / mcbest) does. Trial Mc runs from Mc(maxc) - 0.9
  to Mc(maxc) + 1.5 in steps of the bin, each with at least 25 events (ZMAP's
  limits).

Magnitudes are binned first (see ``_common``: round half up, as seismostats'
``bin_to_precision``) and the result is rounded to the bin.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._common import bin_decimals, bin_index, clean_magnitudes, require, round_to_bin

MIN_EVENTS = 20
GFT_MIN_EVENTS = 25
LOG10_E = float(np.log10(np.e))


def _valid_indices(magnitudes: Any, bin_width: float) -> np.ndarray:
    mags = clean_magnitudes(magnitudes)
    mags = mags[np.isfinite(mags)]
    return bin_index(mags, bin_width)


def maxc_index(idx: np.ndarray) -> int:
    """Bin index of the most populated bin (first, i.e. lowest, on ties)."""
    kmin = int(idx.min())
    counts = np.bincount(idx - kmin)
    return kmin + int(np.argmax(counts))


def gft_curve(idx: np.ndarray, bin_width: float) -> tuple[np.ndarray, np.ndarray]:
    """Trial Mc bin indices and the goodness of fit R (percent, NaN if too few)."""
    k0 = maxc_index(idx)
    lo = k0 - round(0.9 / bin_width)
    hi = k0 + round(1.5 / bin_width)
    kmin = int(idx.min())
    counts = np.bincount(idx - kmin)
    cum = counts[::-1].cumsum()[::-1]  # N(>= bin)
    trials = np.arange(max(lo, kmin), min(hi, int(idx.max())) + 1)
    fits = np.full(trials.shape, np.nan)
    for j, k in enumerate(trials):
        sel = idx[idx >= k]
        n = sel.size
        if n < GFT_MIN_EVENTS:
            continue
        mc = k * bin_width
        spread = sel.mean() * bin_width - (mc - bin_width / 2)
        if spread <= 0:
            continue
        b = LOG10_E / spread
        a = np.log10(n) + b * mc
        observed = cum[k - kmin :].astype(float)
        mags = np.arange(k, kmin + counts.size) * bin_width
        synthetic = 10.0 ** (a - b * mags)
        fits[j] = 100.0 - 100.0 * np.abs(observed - synthetic).sum() / observed.sum()
    return trials, fits


def mc(
    magnitudes: Any,
    *,
    mc_method: str = "maxc",
    mc_correction: float = 0.2,
    bin: float = 0.1,
) -> dict[str, Any]:
    """Magnitude of completeness; returns ``{"mc", "method"}``.

    ``method`` is what was used: ``maxc``, ``gft95``, ``gft90``, or
    ``maxc_fallback`` when ``gft`` found no trial reaching 90 percent.
    Raises InsufficientData for fewer than 20 events or a single magnitude bin.
    """
    idx = _valid_indices(magnitudes, bin)
    require(
        idx.size >= MIN_EVENTS,
        f"mc needs at least {MIN_EVENTS} events; the selection has {idx.size}",
        have=int(idx.size),
        need=MIN_EVENTS,
    )
    distinct = int(np.unique(idx).size)
    require(
        distinct >= 2,
        f"mc needs at least 2 distinct magnitude bins; the selection has {distinct}",
        have=distinct,
        need=2,
    )
    k0 = maxc_index(idx)
    if mc_method == "maxc":
        value = round_to_bin(k0 * bin + mc_correction, bin)
        return {"mc": value, "method": "maxc"}
    if mc_method != "gft":
        raise ValueError(f"unknown mc_method {mc_method!r}")
    trials, fits = gft_curve(idx, bin)
    for level, label in ((95.0, "gft95"), (90.0, "gft90")):
        ok = np.nonzero(fits >= level)[0]
        if ok.size:
            return {"mc": round_to_bin(trials[ok[0]] * bin, bin), "method": label}
    return {"mc": round(k0 * bin, bin_decimals(bin)), "method": "maxc_fallback"}
