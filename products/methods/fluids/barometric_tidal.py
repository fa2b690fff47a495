"""气压与固体潮校正: the barometric response function and the earth-tide response of a
water-level (or other) series by regression deconvolution, the corrected series, the
barometric efficiency and the M2 and O1 tidal amplitude and phase.

* Regression deconvolution (Rasmussen & Crawford 1997, "Identifying and removing barometric
  pressure effects in confined and unconfined aquifers", Ground Water 35(3):502-511): on
  hourly first differences, ``Δw(t) = c + Σ_{i=0..m} α_i ΔB(t-i) + Σ_{j=0..n} β_j ΔE(t-j)``
  by least squares, with w the series, B the air pressure (``series[1]``) and E the
  theoretical earth tide. The barometric response function (BRF) is the cumulative sum
  ``A(k) = Σ_{i<=k} α_i`` (their eq. 10); its value at the last lag is the long-term
  response. Differencing removes drift and makes the residual nearly white (their argument
  for it); the constant c is the drift per hour.
* Barometric efficiency: ``BE = -A(m)`` with the level in metres (up positive) and the
  pressure as a head of fresh water (1 hPa = 100 / (1000 · 9.80665) m), so a confined
  aquifer's level falling 0.4 m for a 1 m rise of pressure head has BE = 0.4 (Jacob 1940,
  Trans. AGU 21:574, defines BE this way). When the units are not a known length and a
  known pressure, BE is null and the BRF is given in the series' own units.
* The theoretical tide is the radial (up) displacement of the solid earth at the
  station's coordinates from pysolid 0.3 (Yunjun et al. 2022, IEEE Trans. Geosci. Remote
  Sens. 60:5227219, doi:10.1109/TGRS.2022.3168509), which wraps D. Milbert's ``solid.for``
  (Dehant's ``dehanttideinel`` of the IERS Conventions, TN 32 section 7.1.2). For the
  degree-2 tides that dominate it is proportional to the tidal potential, as the
  volumetric strain that moves a well's level is. pygtide (ETERNA PREDICT) is not used: it
  is published only as a source distribution that needs a Fortran compiler to install.
* M2 and O1: harmonic least squares (the method of T_TIDE, Pawlowicz, Beardsley & Lentz
  2002, Computers & Geosciences 28:929-937) of the barometrically corrected series with
  M2, S2, N2, K1 and O1 together (so K1 does not leak into O1, nor S2 into M2), on first
  differences like the deconvolution. Amplitude in the series' unit; phase is that of the
  series at the constituent minus that of the theoretical tide at the same constituent
  (degrees in (-180, 180], positive: the series leads the tide). A confined aquifer's
  level, which falls as the ground dilates, is near ±180°.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from products.methods._common import fnum, require
from products.methods.series_common import finite_list
from products.methods.tides import radial_tide

if TYPE_CHECKING:
    from products.series_inputs import SeriesInput

HOUR = 3600
WATER_HEAD_PER_PA = 1.0 / (1000.0 * 9.80665)  # metres of fresh water per pascal
PRESSURE_PA = {"Pa": 1.0, "hPa": 100.0, "mbar": 100.0, "mb": 100.0, "kPa": 1000.0}
LENGTH_M = {"m": 1.0, "cm": 0.01, "mm": 0.001}
# periods in hours (Doodson speeds; Pawlowicz et al. 2002, table of constituents)
CONSTITUENTS = {"M2": 12.4206012, "S2": 12.0, "N2": 12.65834751, "K1": 23.93447213, "O1": 25.81933871}
REPORTED = ("M2", "O1")
MIN_ROWS = 28 * 24  # four weeks of hours: K1/O1 (13.7 d) and M2/S2 (14.8 d) well resolved
HOURLY_MAX = 92 * 24  # a longer window reports daily values only (keeps the result small)
EPOCH = np.datetime64("2000-01-01T00:00:00", "s")


def hourly(part: SeriesInput) -> tuple[np.ndarray, np.ndarray]:
    """(hours as datetime64[h] UTC, mean of each hour's samples); NaN for an hour with less
    than half its samples. Daily or coarser series cannot show tides and are refused."""
    require(
        part.interval <= HOUR and HOUR % part.interval == 0,
        f"barometric_tidal_correction needs samples at least hourly (a divisor of an hour); "
        f"channel {part.channel} has one every {part.interval} s",
        have=part.interval,
        need=HOUR,
    )
    per_hour = HOUR // part.interval
    times = part.times()
    first = times[0].astype("datetime64[h]")
    offset = int((times[0] - first.astype("datetime64[s]")) / np.timedelta64(part.interval, "s"))
    values = np.concatenate([np.full(offset, np.nan), part.values])
    values = np.concatenate([values, np.full(-values.size % per_hour, np.nan)])
    grid = values.reshape(-1, per_hour)
    present = np.isfinite(grid).sum(axis=1)
    sums = np.where(np.isfinite(grid), grid, 0.0).sum(axis=1)
    mean = np.where(present * 2 >= per_hour, sums / np.maximum(present, 1), np.nan)
    return first + np.arange(mean.size), mean


def lagged(values: np.ndarray, lags: int) -> np.ndarray:
    """Columns values(t - i) for i = 0..lags (NaN before the start)."""
    cols = np.full((values.size, lags + 1), np.nan)
    for i in range(lags + 1):
        cols[i:, i] = values[: values.size - i]
    return cols


def harmonic(hours_since_epoch: np.ndarray, values: np.ndarray) -> dict[str, tuple[float, float]]:
    """{constituent: (amplitude, phase in degrees)} of ``values ≈ Σ A cos(ωt - φ)`` fitted on
    first differences (hourly), so a drift or a random walk does not leak into the tides."""
    columns = []
    for period in CONSTITUENTS.values():
        omega = 2 * np.pi / period
        columns += [np.cos(omega * hours_since_epoch), np.sin(omega * hours_since_epoch)]
    design = np.diff(np.column_stack([np.ones_like(hours_since_epoch), *columns]), axis=0)
    design[:, 0] = 1.0  # the constant of the differences: the drift
    target = np.diff(values)
    rows = np.isfinite(target)
    coef, *_ = np.linalg.lstsq(design[rows], target[rows], rcond=None)
    out = {}
    for k, name in enumerate(CONSTITUENTS):
        a, b = coef[1 + 2 * k], coef[2 + 2 * k]
        out[name] = (float(np.hypot(a, b)), float(np.degrees(np.arctan2(b, a))))
    return out


def _wrap(degrees: float) -> float:
    wrapped = (degrees + 180.0) % 360.0 - 180.0
    return 180.0 if wrapped == -180.0 else wrapped


def barometric_tidal_correction(
    *, series: list[SeriesInput], baro_lag_hours: int, tide_lag_hours: int
) -> dict[str, Any]:
    level, pressure = series[0], series[1]
    level_hours, w = hourly(level)
    pressure_hours, b = hourly(pressure)
    start = max(level_hours[0], pressure_hours[0])
    end = min(level_hours[-1], pressure_hours[-1]) + 1
    require(
        end > start,
        "barometric_tidal_correction needs the level and the pressure over a common span; they do not overlap",
        have=0,
        need=1,
    )
    hours = np.arange(start, end)
    w = w[(hours[0] - level_hours[0]).astype(int) :][: hours.size]
    b = b[(hours[0] - pressure_hours[0]).astype(int) :][: hours.size]
    tide = radial_tide(level.latitude, level.longitude, hours)

    dw, db, de = np.diff(w), np.diff(b), np.diff(tide)
    design = np.column_stack([np.ones(dw.size), lagged(db, baro_lag_hours), lagged(de, tide_lag_hours)])
    rows = np.isfinite(dw) & np.isfinite(design).all(axis=1)
    n_rows = int(rows.sum())
    require(
        n_rows >= MIN_ROWS,
        f"barometric_tidal_correction needs at least {MIN_ROWS} hours where the level, the "
        f"pressure and their lags are all present; the series have {n_rows}",
        have=n_rows,
        need=MIN_ROWS,
    )
    coef, *_ = np.linalg.lstsq(design[rows], dw[rows], rcond=None)
    alpha = coef[1 : 2 + baro_lag_hours]
    beta = coef[2 + baro_lag_hours :]
    brf = np.cumsum(alpha)
    residual = dw[rows] - design[rows] @ coef
    explained = 1.0 - float(np.sum(residual**2) / np.sum((dw[rows] - dw[rows].mean()) ** 2))

    to_head = (
        LENGTH_M[level.unit] / (PRESSURE_PA[pressure.unit] * WATER_HEAD_PER_PA)
        if level.unit in LENGTH_M and pressure.unit in PRESSURE_PA
        else None
    )
    barometric_efficiency = -float(brf[-1]) * to_head if to_head is not None else None

    # the responses applied to the levels: level = Σ α_i B(t-i) + Σ β_j E(t-j) + drift
    baro_part = lagged(b - np.nanmean(b), baro_lag_hours) @ alpha
    tide_part = lagged(tide, tide_lag_hours) @ beta
    baro_corrected = w - baro_part
    corrected = baro_corrected - tide_part

    t = ((hours.astype("datetime64[s]") - EPOCH) / np.timedelta64(1, "h")).astype(float)
    of_level = harmonic(t, baro_corrected)
    of_tide = harmonic(t, tide)
    tides = {
        name: {
            "amplitude": fnum(of_level[name][0], 9),
            "phase_deg": round(_wrap(of_tide[name][1] - of_level[name][1]), 2),
            "tide_amplitude_m": fnum(of_tide[name][0], 9),
        }
        for name in REPORTED
    }

    beijing_days = (hours + np.timedelta64(8, "h")).astype("datetime64[D]")
    days, first_index = np.unique(beijing_days, return_index=True)
    day_level, day_corrected = [], []
    for a, z in zip(first_index, [*first_index[1:], hours.size], strict=True):
        for out, src in ((day_level, w), (day_corrected, corrected)):
            chunk = src[a:z]
            out.append(
                float(np.mean(chunk[np.isfinite(chunk)])) if np.isfinite(chunk).sum() >= 12 else np.nan
            )
    result: dict[str, Any] = {
        "channel": level.channel,
        "station": level.station,
        "item": level.item,
        "unit": level.unit,
        "pressure_channel": pressure.channel,
        "pressure_unit": pressure.unit,
        "baro_lag_hours": baro_lag_hours,
        "tide_lag_hours": tide_lag_hours,
        "tide_source": "pysolid (IERS 2010 solid earth tide, radial displacement, m)",
        "n_hours": n_rows,
        "barometric_efficiency": fnum(barometric_efficiency, 5),
        "brf_unit": f"{level.unit}/{pressure.unit}",
        "brf": finite_list(brf, 9),
        "tide_response": finite_list(np.cumsum(beta), 9),
        "variance_explained": round(explained, 4),
        "m2_amplitude": tides["M2"]["amplitude"],
        "m2_phase_deg": tides["M2"]["phase_deg"],
        "o1_amplitude": tides["O1"]["amplitude"],
        "o1_phase_deg": tides["O1"]["phase_deg"],
        "tides": tides,
        "days": [str(d) for d in days],
        "daily_level": finite_list(np.array(day_level)),
        "daily_corrected": finite_list(np.array(day_corrected)),
    }
    if hours.size <= HOURLY_MAX:
        result["hourly"] = {
            "times": [f"{h.astype('datetime64[s]')}Z" for h in hours],
            "level": finite_list(w),
            "baro_corrected": finite_list(baro_corrected),
            "corrected": finite_list(corrected),
        }
    return result
