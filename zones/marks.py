"""The trend report's marks of quakes inside a danger zone (``trends.zone_marks``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from portal.timefmt import BEIJING

from . import selectors
from .scoring import tenth

if TYPE_CHECKING:
    import datetime as dt

    from portal.models import Bureau


def zones_marker(
    bureau: Bureau, origin_time: dt.datetime, longitude: float, latitude: float, magnitude: float | None
) -> list[dict[str, Any]]:
    """The year's live zones the bureau reads that contain the quake, and whether its
    magnitude lies in each zone's range."""
    year = origin_time.astimezone(BEIJING).year
    marks = []
    for zone in selectors.zones_containing(bureau=bureau, year=year, longitude=longitude, latitude=latitude):
        in_range = magnitude is not None and tenth(magnitude) >= zone.min_magnitude
        if in_range and zone.max_magnitude is not None:
            in_range = tenth(magnitude or 0) <= zone.max_magnitude
        marks.append(
            {"id": zone.pk, "name": zone.name, "url": zone.get_absolute_url(), "in_range": bool(in_range)}
        )
    return marks
