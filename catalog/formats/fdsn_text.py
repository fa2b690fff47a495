"""FDSN event text format (fdsnws-event 1.2, ``format=text``)::

    #EventID|Time|Latitude|Longitude|Depth/km|Author|Catalog|Contributor|ContributorID|MagType|Magnitude|MagAuthor|EventLocationName

One event per line, ``|``-separated, times in UTC. The reader follows the
header when there is one (so extra or reordered columns such as a trailing
``EventType`` are fine) and the standard order otherwise.
"""

from __future__ import annotations

from datetime import UTC
from typing import IO, TYPE_CHECKING, Any

from catalog.formats.events import EventOut, as_event
from catalog.formats.rows import (
    DEPTH_RANGE_KM,
    LATITUDE_RANGE,
    LONGITUDE_RANGE,
    MAGNITUDE_RANGE,
    BadValueError,
    EventRow,
    ReadResult,
    RowError,
    clean_text,
    iter_text_lines,
    parse_datetime,
    parse_float,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

__all__ = [
    "FDSN_TEXT_COLUMNS",
    "FDSN_TEXT_HEADER",
    "read_fdsn_text",
    "write_fdsn_text",
    "write_fdsn_text_rows",
]

FDSN_TEXT_COLUMNS = (
    "EventID",
    "Time",
    "Latitude",
    "Longitude",
    "Depth/km",
    "Author",
    "Catalog",
    "Contributor",
    "ContributorID",
    "MagType",
    "Magnitude",
    "MagAuthor",
    "EventLocationName",
)
FDSN_TEXT_HEADER = "#" + "|".join(FDSN_TEXT_COLUMNS)

_KEYS = {
    "eventid": "id",
    "time": "time",
    "latitude": "latitude",
    "longitude": "longitude",
    "depth/km": "depth",
    "depth": "depth",
    "author": "author",
    "catalog": "catalog",
    "contributor": "contributor",
    "contributorid": "contributor_id",
    "magtype": "magnitude_type",
    "magnitude": "magnitude",
    "magauthor": "magnitude_author",
    "eventlocationname": "location",
    "eventtype": "event_type",
}
_STANDARD = {_KEYS[c.lower()]: i for i, c in enumerate(FDSN_TEXT_COLUMNS)}


def _header_positions(line: str) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, name in enumerate(line.lstrip("#").split("|")):
        key = _KEYS.get(name.strip().lower().replace(" ", ""))
        if key is not None and key not in positions:
            positions[key] = index
    return positions


def read_fdsn_text(fileobj: IO[Any] | Iterable[Any], *, encoding: str | None = None) -> Iterator[ReadResult]:
    """Yield an EventRow or a RowError per line of an FDSN text response.

    Streams line by line. Line 1 is the header (when present); comment lines
    (``#``) and blank lines are skipped. Times without zone are UTC.
    """
    positions = dict(_STANDARD)
    for line_no, raw in enumerate(iter_text_lines(fileobj, encoding), start=1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        if line.lstrip().startswith("#"):
            found = _header_positions(line)
            if {"time", "latitude", "longitude"} <= found.keys():
                positions = found
            continue
        fields = line.split("|")
        needed = max(positions[k] for k in ("time", "latitude", "longitude")) + 1
        if len(fields) < needed:
            yield RowError(
                line_no,
                f"expected {len(FDSN_TEXT_COLUMNS)} '|'-separated columns, found {len(fields)}",
            )
            continue
        try:
            yield _row(fields, positions, line_no)
        except BadValueError as problem:
            yield RowError(line_no, problem.reason, problem.column)


def _row(fields: list[str], positions: Mapping[str, int], line_no: int) -> EventRow:
    def get(key: str) -> str:
        index = positions.get(key)
        return fields[index].strip() if index is not None and index < len(fields) else ""

    if not get("time"):
        raise BadValueError("time", "time is empty")
    depth = parse_float(get("depth"), column="depth", value_range=DEPTH_RANGE_KM, required=False)
    magnitude = parse_float(
        get("magnitude"),
        column="magnitude",
        value_range=MAGNITUDE_RANGE,
        required=False,
    )
    return EventRow(
        origin_time=parse_datetime(get("time"), default_tz=UTC, column="time"),
        latitude=parse_float(get("latitude"), column="latitude", value_range=LATITUDE_RANGE),  # type: ignore[arg-type]
        longitude=parse_float(get("longitude"), column="longitude", value_range=LONGITUDE_RANGE),  # type: ignore[arg-type]
        depth_km=depth,
        magnitude=magnitude,
        magnitude_type=clean_text(get("magnitude_type")),
        location_name=get("location"),
        public_id=clean_text(get("id")),
        source=clean_text(get("author")),
        catalog=clean_text(get("catalog")),
        contributor=clean_text(get("contributor")),
        contributor_id=clean_text(get("contributor_id")),
        magnitude_author=clean_text(get("magnitude_author")),
        event_type=clean_text(get("event_type")),
        line=line_no,
    )


def _text(value: object) -> str:
    if value is None:
        return ""
    return str(value).replace("|", "/").replace("\r", " ").replace("\n", " ").strip()


def _number(value: float | None) -> str:
    return "" if value is None else repr(float(value))


def format_fdsn_time(value: Any) -> str:
    """``YYYY-MM-DDTHH:MM:SS[.ffffff]`` in UTC, no zone designator."""
    value = value.astimezone(UTC)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}"
    return text


def write_fdsn_text(
    events: Iterable[EventOut | EventRow | Mapping[str, Any]],
) -> Iterator[str]:
    """Yield the header line, then one line per event (each ending in "\\n").

    Takes the inputs described in :mod:`catalog.formats.events`; writes the
    preferred origin and magnitude. ``|`` and newlines inside values are
    replaced so a line stays a line.
    """
    yield FDSN_TEXT_HEADER + "\n"
    for index, item in enumerate(events, start=1):
        event = as_event(item, fallback_id=str(index))
        origin = event.preferred_origin
        if origin is None:
            continue
        magnitude = event.preferred_magnitude
        values = (
            _text(event.id),
            format_fdsn_time(origin.time),
            _number(origin.latitude),
            _number(origin.longitude),
            _number(origin.depth_km),
            _text(origin.author or origin.agency or event.agency),
            _text(event.catalog),
            _text(event.contributor),
            _text(event.contributor_id),
            _text(magnitude.magnitude_type if magnitude else None),
            _number(magnitude.magnitude if magnitude else None),
            _text((magnitude.author or magnitude.agency) if magnitude else None),
            _text(event.location_name),
        )
        yield "|".join(values) + "\n"


def _utc_time(value: Any) -> str:
    """:func:`format_fdsn_time`, quicker for the UTC datetimes the database hands back."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    if value.year < 1000:  # strftime's %Y does not pad those: keep its bytes
        return format_fdsn_time(value)
    text = f"{value.year:04d}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    if value.microsecond:
        text += f".{value.microsecond:06d}"
    return text


def write_fdsn_text_rows(rows: Iterable[tuple[Any, ...]]) -> Iterator[str]:
    """:func:`write_fdsn_text` for catalog rows (tuples in ``events.ROW_FIELDS`` order).

    The same bytes as the flat mapping would give (tested against stored documents in
    tests/catalog/test_fdsn_golden.py), one f-string per row.
    """
    yield FDSN_TEXT_HEADER + "\n"
    text, number = _text, _number
    for (
        event_id,
        time,
        latitude,
        longitude,
        depth_km,
        magnitude,
        magnitude_type,
        location_name,
        source,
        _status,
        _event_type,
        _strike,
        _dip,
        _rake,
        _updated,
        _created,
        code,
    ) in rows:
        ident = text(event_id)
        agency = text(source or code)
        catalog = text(code)
        mag = "||" if magnitude is None else f"{text(magnitude_type or None)}|{float(magnitude)!r}|{agency}"
        yield (
            f"{ident}|{_utc_time(time)}|{float(latitude)!r}|{float(longitude)!r}|{number(depth_km)}|"
            f"{agency}|{catalog}|{catalog}|{ident}|{mag}|{text(location_name or '')}\n"
        )
