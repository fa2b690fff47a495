"""谐波振幅比: the ratio of the spectral amplitudes of Z and H at chosen periods, from
night-time minute data, as a daily series with its trend.

* Why Z/H: a geomagnetic variation of period T induces currents in the ground down to a
  skin depth that grows with √T; the vertical field those currents leave at the surface
  against the horizontal one depends on the conductivity at that depth (Parkinson 1959,
  Geophys. J. R. Astr. Soc. 2:1). A change of the ratio at the periods that reach the
  crust is read as a change of its conductivity.
* Each Beijing night (``start_hour``–``end_hour``, 00–04 by default: no Sq, so the spectrum
  is that of irregular variations) of Z and of H is detrended by a least-squares line,
  tapered by a Hann window and Fourier transformed; the amplitude ratio |Z(f)| / |H(f)| is
  taken at each Fourier period between ``period_min`` and ``period_max`` minutes, and
  the band ratio as Σ|Z(f)| / Σ|H(f)| over those periods (the same window on both
  components, so its gain cancels: Harris 1978, Proc. IEEE 66:51, on the Hann window). A
  night with less than ``min_coverage`` of its samples is left out; shorter gaps are
  bridged linearly before the transform.
* The trend of the band ratio is its least-squares line over the days (slope per year) and
  a centred running median over ``window_days`` (Tukey, *Exploratory Data Analysis*, 1977).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from products.methods._common import require
from products.methods.fluids.trend_residual import moving_trend
from products.methods.series_common import finite_list, iso_days, require_days

from ._grid import align, day_grid, minute_interval, pairs

if TYPE_CHECKING:
    from products.series_inputs import SeriesInput


def _prepare(window: np.ndarray, min_coverage: float) -> np.ndarray:
    """Rows of a night window gap-bridged and detrended; NaN rows where too gappy."""
    out = np.full(window.shape, np.nan)
    x = np.arange(window.shape[1], dtype=float)
    for i, row in enumerate(window):
        ok = np.isfinite(row)
        if ok.sum() < min_coverage * row.size:
            continue
        filled = np.interp(x, x[ok], row[ok])
        slope, intercept = np.polyfit(x, filled, 1)
        out[i] = filled - (slope * x + intercept)
    return out


def spectra(window: np.ndarray) -> np.ndarray:
    """|FFT| of each Hann-tapered row."""
    return np.abs(np.fft.rfft(window * np.hanning(window.shape[1]), axis=1))


def harmonic_amplitude_ratio(
    *,
    series: list[SeriesInput],
    start_hour: int,
    end_hour: int,
    period_min: float,
    period_max: float,
    window_days: int,
    min_coverage: float,
    min_days: int,
) -> dict[str, Any]:
    require(
        end_hour > start_hour,
        "harmonic_amplitude_ratio needs end_hour after start_hour",
        have=end_hour,
        need=start_hour + 1,
    )
    require(
        period_max > period_min,
        "harmonic_amplitude_ratio needs period_max above period_min",
        have=period_max,
        need=period_min,
    )
    couples = pairs(series, "harmonic_amplitude_ratio", "Z", "H")
    out = []
    days_all: np.ndarray | None = None
    for z, h in couples:
        minute_interval(z, "harmonic_amplitude_ratio")
        minute_interval(h, "harmonic_amplitude_ratio")
        require(
            z.interval == h.interval,
            f"harmonic_amplitude_ratio needs Z and H of {z.station} at one interval",
            have=h.interval,
            need=z.interval,
        )
        days, (z_grid, h_grid) = align([day_grid(z), day_grid(h)])
        per_hour = 3600 // z.interval
        cut = slice(start_hour * per_hour, end_hour * per_hour)
        n = cut.stop - cut.start
        periods = n * z.interval / 60.0 / np.arange(1, n // 2 + 1)  # minutes, of rfft bins 1..
        band = (periods >= period_min) & (periods <= period_max)
        require(
            bool(band.any()),
            f"no Fourier period of a {end_hour - start_hour} h night lies between {period_min:g} and {period_max:g} min",
            have=0,
            need=1,
        )
        zw = _prepare(z_grid[:, cut], min_coverage)
        hw = _prepare(h_grid[:, cut], min_coverage)
        za = spectra(np.nan_to_num(zw))[:, 1:][:, band]
        ha = spectra(np.nan_to_num(hw))[:, 1:][:, band]
        usable = np.isfinite(zw).all(axis=1) & np.isfinite(hw).all(axis=1) & (ha.sum(axis=1) > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            per_period = np.where(usable[:, None] & (ha > 0), za / ha, np.nan)
            ratio = np.where(usable, za.sum(axis=1) / ha.sum(axis=1), np.nan)
        require_days(f"harmonic_amplitude_ratio ({z.station})", ratio, min_days)
        t = np.flatnonzero(np.isfinite(ratio)).astype(float)
        slope, intercept = np.polyfit(t, ratio[np.isfinite(ratio)], 1)
        days_all = days
        out.append(
            {
                "station": z.station,
                "z_channel": z.channel,
                "h_channel": h.channel,
                "days": iso_days(days),
                "ratio": finite_list(ratio, 5),
                "trend": finite_list(moving_trend(ratio, window_days), 5),
                "slope_per_year": round(float(slope * 365.25), 6),
                "line": finite_list(intercept + slope * np.arange(days.size), 5),
                "periods_min": [round(float(p), 2) for p in periods[band]],
                "by_period": [finite_list(per_period[:, j], 5) for j in range(per_period.shape[1])],
                "mean_ratio": round(float(np.nanmean(ratio)), 5),
                "n_days": int(np.isfinite(ratio).sum()),
            }
        )
    return {
        "start_hour": start_hour,
        "end_hour": end_hour,
        "period_min": period_min,
        "period_max": period_max,
        "window_days": window_days,
        "days": iso_days(days_all) if days_all is not None else [],
        "stations": out,
    }
