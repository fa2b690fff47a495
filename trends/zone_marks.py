"""Marks of the quakes that fell inside a danger zone, for the monthly trend report.

The zones app sits above trends, so trends cannot import it: the zones app registers a
marker from ``AppConfig.ready()`` (``register``), and the seismicity section asks
``marks_for`` for each event it lists. Without a marker (the zones app absent from a test
settings module) nothing is marked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import datetime as dt

    from portal.models import Bureau

# (bureau reading, origin time, longitude, latitude, magnitude) -> [{"id", "name", "url", "in_range"}]
Marker = Callable[["Bureau", "dt.datetime", float, float, "float | None"], list[dict[str, Any]]]
_MARKERS: list[Marker] = []


def register(marker: Marker) -> Marker:
    if marker not in _MARKERS:
        _MARKERS.append(marker)
    return marker


def marks_for(
    bureau: Bureau, origin_time: dt.datetime, longitude: float, latitude: float, magnitude: float | None
) -> list[dict[str, Any]]:
    marks: list[dict[str, Any]] = []
    for marker in _MARKERS:
        marks.extend(marker(bureau, origin_time, longitude, latitude, magnitude))
    return marks
