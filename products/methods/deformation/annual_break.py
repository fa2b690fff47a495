"""年变畸变: the annual variation of a tilt or strain series fitted year by year, and the years
whose shape or amplitude departs from the others'.

* Each Beijing calendar year with data on at least ``min_coverage`` of its days is fitted
  by least squares with an offset, a linear drift and the annual and semi-annual harmonics
  of the year's fraction τ (harmonic regression, Wilks, *Statistical Methods in the
  Atmospheric Sciences*, 3rd ed. 2011, section 9.4). The year's annual variation is the
  harmonic part ``p(τ)`` (drift and offset removed); its amplitude is the peak-to-peak
  range of ``p`` (年变幅) and its phase the day of the year of its maximum.
* Each year is compared with the others, leave-one-out, so a distorted year does not shape
  its own reference: the reference form is the day-by-day median of the other years' ``p``
  and the reference amplitude the median of their amplitudes (medians, so that one
  distorted year among the others does not bend the reference of the regular ones).
* Criterion (stated in the result): a year departs in **shape** when the Pearson
  correlation of its ``p`` with the reference form is below ``r_min`` (a phase shift of
  the annual wave by Δ days alone gives r = cos(2πΔ/365): 0.8 is about 37 days), and in
  **amplitude** when its amplitude is more than ``amplitude_factor`` times the reference
  amplitude, or less than the reference divided by it.
* At least three fitted years are needed (two to form a reference for the third).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from products.methods._common import fnum, require
from products.methods.series_common import daily_values, finite_list, iso_days

if TYPE_CHECKING:
    from products.series_inputs import SeriesInput

GRID = (np.arange(365) + 0.5) / 365.0  # day centres of a year, as fractions of the year


def _harmonics(tau: np.ndarray) -> np.ndarray:
    w = 2 * np.pi * tau
    return np.column_stack([np.cos(w), np.sin(w), np.cos(2 * w), np.sin(2 * w)])


def annual_break(
    *, series: list[SeriesInput], min_coverage: float, r_min: float, amplitude_factor: float
) -> dict[str, Any]:
    part = series[0]
    days, daily = daily_values(part, min_coverage=0.5)
    years = days.astype("datetime64[Y]")
    fitted = np.full(daily.size, np.nan)
    rows: list[dict[str, Any]] = []
    curves: dict[int, np.ndarray] = {}
    for year in np.unique(years):
        in_year = years == year
        first = year.astype("datetime64[D]")
        length = int(((year + 1).astype("datetime64[D]") - first) / np.timedelta64(1, "D"))
        present = in_year & np.isfinite(daily)
        coverage = float(present.sum()) / length
        label = int(str(year))
        if coverage < min_coverage:
            rows.append({"year": label, "coverage": round(coverage, 3), "fitted": False})
            continue
        tau = ((days[in_year] - first) / np.timedelta64(1, "D") + 0.5) / length
        design = np.column_stack([np.ones_like(tau), tau, _harmonics(tau)])
        ok = np.isfinite(daily[in_year])
        coef, *_ = np.linalg.lstsq(design[ok], daily[in_year][ok], rcond=None)
        fitted[in_year] = design @ coef
        curve = _harmonics(GRID) @ coef[2:]
        curves[label] = curve
        residual = daily[in_year][ok] - design[ok] @ coef
        rows.append(
            {
                "year": label,
                "coverage": round(coverage, 3),
                "fitted": True,
                "drift_per_year": fnum(coef[1], 6),
                "amplitude": fnum(np.ptp(curve), 6),
                "peak_day": int(np.argmax(curve)) + 1,
                "trough_day": int(np.argmin(curve)) + 1,
                "rms_residual": fnum(np.sqrt(np.mean(residual**2)), 6),
            }
        )
    labels = sorted(curves)
    require(
        len(labels) >= 3,
        f"annual_break needs at least 3 calendar years each with data on {min_coverage:.0%} of "
        f"its days; the series has {len(labels)}",
        have=len(labels),
        need=3,
    )
    distorted = []
    for row in rows:
        if not row["fitted"]:
            continue
        others = [curves[y] for y in labels if y != row["year"]]
        reference = np.median(others, axis=0)
        reference_amplitude = float(np.median([np.ptp(c) for c in others]))
        curve = curves[row["year"]]
        r = float(np.corrcoef(curve, reference)[0, 1])
        ratio = float(np.ptp(curve)) / reference_amplitude if reference_amplitude > 0 else float("inf")
        shift = (row["peak_day"] - (int(np.argmax(reference)) + 1) + 182) % 365 - 182
        reasons = []
        if r < r_min:
            reasons.append("shape")
        if ratio > amplitude_factor or ratio < 1.0 / amplitude_factor:
            reasons.append("amplitude")
        row.update(
            {
                "correlation": round(r, 4),
                "amplitude_ratio": fnum(ratio, 4),
                "peak_shift_days": int(shift),
                "distorted": bool(reasons),
                "reasons": reasons,
            }
        )
        if reasons:
            distorted.append(row["year"])
    return {
        "channel": part.channel,
        "station": part.station,
        "item": part.item,
        "unit": part.unit,
        "criteria": {
            "shape": f"correlation with the other years' mean annual form < {r_min:g}",
            "amplitude": f"amplitude ratio to the other years' median > {amplitude_factor:g} "
            f"or < 1/{amplitude_factor:g}",
            "min_coverage": min_coverage,
        },
        "n_years": len(labels),
        "n_distorted": len(distorted),
        "distorted_years": distorted,
        "years": rows,
        "annual_forms": {str(y): finite_list(curves[y]) for y in labels},
        "days": iso_days(days),
        "daily": finite_list(daily),
        "fitted": finite_list(fitted),
    }
