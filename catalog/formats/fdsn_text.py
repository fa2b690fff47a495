"""FDSN event text format (fdsnws-event 1.2, ``format=text``)::

    #EventID|Time|Latitude|Longitude|Depth/km|Author|Catalog|Contributor|ContributorID|MagType|Magnitude|MagAuthor|EventLocationName

One event per line, ``|``-separated, times in UTC. The reader follows the
header when there is one (so extra or reordered columns such as a trailing
``EventType`` are fine) and the standard order otherwise.
"""

from __future__ import annotations

from datetime import UTC
from typing import IO, TYPE_CHECKING, Any

from catalog.formats.events import (
    ROW_FIELDS,
    EventOut,
    as_event,
    database_time,
    float_text,
    utc_iso_text,
    utc_text_parts,
)
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
    "TEXT_ROW_FIELDS",
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
    """:func:`format_fdsn_time` of an aware datetime or of the database's text of one
    (:func:`~catalog.formats.events.utc_text_parts`), quicker: the text is sliced, and a
    UTC datetime written by ``isoformat`` (C: the same fields, zero microseconds left out
    as here; only its ``+00:00`` goes)."""
    if isinstance(value, str):
        parts = utc_text_parts(value)
        if parts is not None:
            return f"{parts[0]}.{parts[1]}" if parts[1] else parts[0]
        value = database_time(value)
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    if value.year < 1000:  # strftime's %Y does not pad those: keep its bytes
        return format_fdsn_time(value)
    return value.isoformat()[:-6]


#: The nine values of ``events.ROW_FIELDS`` the text format prints, and the bureau's code.
TEXT_ROW_FIELDS = (*ROW_FIELDS[:9], ROW_FIELDS[-1])


def write_fdsn_text_rows(rows: Iterable[tuple[Any, ...]]) -> Iterator[str]:
    """:func:`write_fdsn_text` for catalog rows: tuples in ``events.ROW_FIELDS`` order, or
    in :data:`TEXT_ROW_FIELDS` order (the first nine of those and the bureau's code: all
    that this format prints). A time is an aware datetime or the database's text of one
    (``events.utc_text_parts``); a float is a float or the database's text of one
    (:func:`float_text`).

    The same bytes as the flat mapping would give (tested against stored documents in
    tests/catalog/test_fdsn_golden.py), one f-string per row. The few texts repeated on
    every row (agency, catalog, magnitude type) are cleaned once per answer; an id or a
    place name only when it holds something to clean.
    """
    yield FDSN_TEXT_HEADER + "\n"
    text, utc_time, iso_text, number = _text, _utc_time, utc_iso_text, float_text
    # (source, code, magnitude type) -> (agency, catalog, magnitude type) as printed
    repeated: dict[tuple[Any, Any, Any], tuple[str, str, str]] = {}
    for row in rows:
        event_id, time, latitude, longitude, depth_km, magnitude, magnitude_type, place, source = row[:9]
        code = row[-1]
        found = repeated.get((source, code, magnitude_type))
        if found is None:
            found = (text(source or code), text(code), text(magnitude_type or None))
            repeated[(source, code, magnitude_type)] = found
        agency, catalog, kind = found
        # _text changes a string only when it holds |, CR or LF or has whitespace at an end:
        # three `in` tests and a strip() cost a fraction of its three replace() calls.
        if not (
            type(event_id) is str
            and "|" not in event_id
            and "\r" not in event_id
            and "\n" not in event_id
            and event_id.strip() == event_id
        ):
            event_id = text(event_id)
        if not place:
            place = ""
        elif not (
            type(place) is str
            and "|" not in place
            and "\r" not in place
            and "\n" not in place
            and place.strip() == place
        ):
            place = text(place)
        time = iso_text(time) or utc_time(time)
        depth = "" if depth_km is None else number(depth_km)
        mag = "||" if magnitude is None else f"{kind}|{number(magnitude)}|{agency}"
        yield (
            f"{event_id}|{time}|{number(latitude)}|{number(longitude)}|{depth}|"
            f"{agency}|{catalog}|{catalog}|{event_id}|{mag}|{place}\n"
        )
