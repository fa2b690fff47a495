"""A read series as a CSV or IAGA-2002 download (what ``GET /api/v1/series/`` answers for
``format=csv`` and ``format=iaga2002``). Times are UTC; gaps are empty cells (CSV) and
99999.00 (IAGA-2002, whose values carry two decimals)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from observations.series_selectors import Series

IAGA_MISSING = 99999.0
INTERVAL_NAMES = {1: "1-Second", 60: "1-Minute", 3600: "1-Hour", 86400: "1-Day"}


def _times(series: Series) -> np.ndarray:
    start = np.datetime64(series.start.replace(tzinfo=None), "s")
    return start + np.arange(series.values.size, dtype=np.int64) * np.timedelta64(series.step_seconds, "s")


def _label(series: Series) -> str:
    channel = series.channel
    parts = [channel.station.code, channel.item.code] + ([channel.orientation] if channel.orientation else [])
    return ":".join(parts)


def series_csv(series: Series) -> str:
    """``time,<STATION:ITEM[:ORIENT]>`` then one line per value; importable as it is."""
    times = np.datetime_as_string(_times(series), unit="s")
    values = series.values
    cells = np.where(np.isnan(values), "", np.char.mod("%.9g", np.nan_to_num(values)))
    body = np.char.add(np.char.add(np.char.add(times, "Z,"), cells), "\n")
    return f"time,{_label(series)}\n" + "".join(body.tolist())


def _header(key: str, value: str) -> str:
    """A 70-character header record: the key from column 2, the value from column 25, ``|``."""
    return f" {key:<23}{value}"[:69].ljust(69) + "|"


def series_iaga2002(series: Series) -> str:
    """IAGA-2002 with one element column ``<station code><element>``, where the element is
    the item code without its ``GM_`` prefix (H, D, Z, F …)."""
    channel = series.channel
    code = channel.station.code.upper()
    element = channel.item.code.upper().removeprefix("GM_")
    location = channel.station.location
    interval = INTERVAL_NAMES.get(series.step_seconds, f"{series.step_seconds}-Second")
    lines = [
        _header("Format", "IAGA-2002"),
        _header("Source of Data", "ISPEC portal"),
        _header("Station Name", channel.station.name_en or channel.station.code),
        _header("IAGA CODE", code),
        _header("Geodetic Latitude", f"{location.y:.3f}" if location else ""),
        _header("Geodetic Longitude", f"{location.x % 360:.3f}" if location else ""),
        _header("Elevation", f"{channel.station.elevation_m or 0:.0f}"),
        _header("Reported", element),
        _header("Sensor Orientation", channel.orientation or element),
        _header("Digital Sampling", f"{int(channel.interval)} seconds"),
        _header("Data Interval Type", f"Average {interval}" if series.resolution != "raw" else interval),
        _header("Data Type", "Provisional"),
        f"DATE       TIME         DOY     {code + element:<10}".ljust(69) + "|",
    ]
    times = _times(series)
    day = times.astype("datetime64[D]")
    doy = (day - day.astype("datetime64[Y]")).astype(np.int64) + 1
    stamps = np.char.replace(np.datetime_as_string(times, unit="ms"), "T", " ")
    values = np.where(np.isnan(series.values), IAGA_MISSING, series.values)
    cells = np.char.mod("%10.2f", values)
    doys = np.char.mod("%03d   ", doy)
    rows = np.char.add(np.char.add(np.char.add(stamps, " "), doys), cells)
    return "\n".join(lines) + "\n" + "\n".join(rows.tolist()) + ("\n" if rows.size else "")
