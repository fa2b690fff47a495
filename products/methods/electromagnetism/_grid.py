"""Day-by-minute grids of geomagnetic series and the pairing of a station's components,
shared by the electromagnetism methods."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from products.methods._common import require
from products.methods.series_common import BEIJING, DAY

if TYPE_CHECKING:
    from products.series_inputs import SeriesInput


def day_grid(part: SeriesInput) -> tuple[np.ndarray, np.ndarray]:
    """(days, grid): Beijing calendar days (datetime64[D]) and the samples of each day as a
    row (n_days × samples per day), NaN where missing or excluded."""
    times = part.times() + BEIJING
    days = times.astype("datetime64[D]")
    first = days[0]
    n_days = int((days[-1] - first) / DAY) + 1
    per_day = 86400 // part.interval
    grid = np.full((n_days, per_day), np.nan)
    index = ((days - first) / DAY).astype(np.int64)
    slot = ((times - days.astype("datetime64[s]")) / np.timedelta64(part.interval, "s")).astype(np.int64)
    grid[index, slot] = part.values
    return first + np.arange(n_days) * DAY, grid


def align(grids: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Put day grids of several series on their common span of days (NaN rows where a
    series has no day), so that row i is the same day for all."""
    first = min(days[0] for days, _ in grids)
    last = max(days[-1] for days, _ in grids)
    n_days = int((last - first) / DAY) + 1
    out = []
    for days, grid in grids:
        full = np.full((n_days, grid.shape[1]), np.nan)
        offset = int((days[0] - first) / DAY)
        full[offset : offset + grid.shape[0]] = grid
        out.append(full)
    return first + np.arange(n_days) * DAY, out


def component(part: SeriesInput) -> str:
    """The field component of a geomagnetic item code (GM_H → "H", GM_Z → "Z")."""
    return part.item.rsplit("_", 1)[-1].upper()


def pairs(
    series: list[SeriesInput], name: str, first: str, second: str
) -> list[tuple[SeriesInput, SeriesInput]]:
    """Per station (in request order), its ``first`` and ``second`` component series; a
    station given without both is refused with a message naming it."""
    by_station: dict[str, dict[str, SeriesInput]] = {}
    for part in series:
        by_station.setdefault(part.station, {})[component(part)] = part
    out = []
    for station, parts in by_station.items():
        require(
            first in parts and second in parts,
            f"{name} needs the {first} and {second} series of each station; {station} has "
            + (", ".join(sorted(parts)) or "none"),
            have=len(parts),
            need=2,
        )
        out.append((parts[first], parts[second]))
    return out


def minute_interval(part: SeriesInput, name: str, most: int = 60) -> None:
    """Refuse series sampled more coarsely than ``most`` seconds (the method needs minutes)."""
    require(
        part.interval <= most,
        f"{name} needs samples at least every {most} s; {part.station} {part.item} has {part.interval} s",
        have=part.interval,
        need=most,
    )
