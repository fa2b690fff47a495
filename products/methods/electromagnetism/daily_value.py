"""每日一值: the quiet night-time value of each day of a geomagnetic component, and the
differences between stations that remove the field of external origin.

* The value of a day is the mean of the samples between ``start_hour`` and ``end_hour``
  Beijing time (00:00–04:00 by default): local night, when the ionospheric Sq current system
  that drives the diurnal variation is weakest, so the value is closest to the field of
  internal origin (the solar daily variation Sq is a dayside current system: Chapman &
  Bartels, *Geomagnetism*, Oxford 1940, vol. 1).
  A day with less than ``min_coverage`` of its night samples is left empty.
* The external (magnetospheric, ionospheric) field is nearly uniform over the few hundred
  kilometres between stations of a network, so the difference of two stations' daily values
  removes it and leaves changes local to one of them (the station-difference method of
  observatory practice): each station after the first minus the first station (the
  reference) of the request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from products.methods._common import require
from products.methods.series_common import finite_list, iso_days, require_days

from ._grid import align, day_grid

if TYPE_CHECKING:
    from products.series_inputs import SeriesInput


def night_values(
    part: SeriesInput, start_hour: int, end_hour: int, min_coverage: float
) -> tuple[np.ndarray, np.ndarray]:
    """(days, values): the night mean of each Beijing day of one series."""
    days, grid = day_grid(part)
    per_hour = 3600 // part.interval
    window = grid[:, start_hour * per_hour : end_hour * per_hour]
    present = np.isfinite(window).sum(axis=1)
    with np.errstate(invalid="ignore"):
        mean = np.where(present > 0, np.nansum(window, axis=1) / np.maximum(present, 1), np.nan)
    return days, np.where(present >= min_coverage * window.shape[1], mean, np.nan)


def daily_value(
    *, series: list[SeriesInput], start_hour: int, end_hour: int, min_coverage: float, min_days: int
) -> dict[str, Any]:
    require(
        end_hour > start_hour,
        "daily_value needs end_hour after start_hour",
        have=end_hour,
        need=start_hour + 1,
    )
    units = {part.unit for part in series}
    per_station = [night_values(part, start_hour, end_hour, min_coverage) for part in series]
    days, rows = align([(d, v[:, None]) for d, v in per_station])
    values = [row[:, 0] for row in rows]
    for part, value in zip(series, values, strict=True):
        require_days(f"daily_value ({part.station} {part.item})", value, min_days)
    stations = [
        {
            "channel": part.channel,
            "station": part.station,
            "item": part.item,
            "unit": part.unit,
            "n_days": int(np.isfinite(value).sum()),
            "values": finite_list(value, 4),
        }
        for part, value in zip(series, values, strict=True)
    ]
    reference = series[0]
    differences = [
        {
            "station": part.station,
            "item": part.item,
            "reference": reference.station,
            "values": finite_list(value - values[0], 4),
            "std": _std(value - values[0]),
        }
        for part, value in zip(series[1:], values[1:], strict=True)
    ]
    return {
        "start_hour": start_hour,
        "end_hour": end_hour,
        "unit": units.pop() if len(units) == 1 else None,
        "days": iso_days(days),
        "stations": stations,
        "differences": differences,
    }


def _std(values: np.ndarray) -> float | None:
    finite = values[np.isfinite(values)]
    return round(float(np.std(finite, ddof=1)), 4) if finite.size > 1 else None
