"""The shape the writers take: an event with its origins and magnitudes.

The Django layer feeds the writers one of, per event:

1. an :class:`EventOut` (with :class:`OriginOut`, :class:`MagnitudeOut`,
   :class:`FocalMechanismOut`);
2. a nested mapping with the same keys as EventOut, ``origins`` and
   ``magnitudes`` being lists of mappings with the keys of OriginOut and
   MagnitudeOut (``.values()`` rows or serializer output);
3. a flat mapping for an event with one origin and one magnitude::

       {"id": "123", "time": datetime(..., tzinfo=UTC), "latitude": 28.11,
        "longitude": 115.01, "depth_km": 5.0, "magnitude": 2.4,
        "magnitude_type": "ML", "location_name": "江西宜春市上高县",
        # optional:
        "event_type": "earthquake", "evaluation_mode": "manual",
        "evaluation_status": "reviewed", "agency": "JX", "author": "...",
        "catalog": "CENC", "contributor": "JX", "contributor_id": "...",
        "magnitude_author": "...", "creation_time": datetime, "updated": datetime,
        "strike": 120.0, "dip": 60.0, "rake": 90.0}

   the origin and magnitude then take the event's id;
4. an :class:`~catalog.formats.rows.EventRow` (what the readers yield).

Ids are local ids ("123", "123-o2"); the QuakeML writer turns them into
``smi:ispec/event/123``, ``smi:ispec/origin/123-o2`` and so on. An id that
already is a URI ("smi:...", "quakeml:...") is kept as it is.

Versions of an event (relocations, magnitude updates) are further entries
in ``origins`` and ``magnitudes``; ``preferred_origin_id`` and
``preferred_magnitude_id`` say which one is current (default: the first).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from catalog.formats.rows import EventRow

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "ROW_FIELDS",
    "EventOut",
    "FocalMechanismOut",
    "MagnitudeOut",
    "OriginOut",
    "as_event",
    "database_time",
    "float_text",
    "public_id",
    "utc_iso_text",
    "utc_text_parts",
]


@dataclass(frozen=True, slots=True)
class OriginOut:
    id: str
    time: datetime  # aware
    latitude: float
    longitude: float
    depth_km: float | None = None
    evaluation_mode: str | None = None  # "manual" | "automatic"
    evaluation_status: str | None = None  # "preliminary" | "confirmed" | "reviewed" | ...
    agency: str | None = None  # creationInfo/agencyID, e.g. "CENC", "JX"
    author: str | None = None
    creation_time: datetime | None = None


@dataclass(frozen=True, slots=True)
class MagnitudeOut:
    id: str
    magnitude: float
    magnitude_type: str | None = None
    origin_id: str | None = None  # the origin it was computed for
    evaluation_mode: str | None = None
    evaluation_status: str | None = None
    agency: str | None = None
    author: str | None = None
    creation_time: datetime | None = None
    station_count: int | None = None


@dataclass(frozen=True, slots=True)
class FocalMechanismOut:
    id: str
    strike: float
    dip: float
    rake: float
    strike2: float | None = None
    dip2: float | None = None
    rake2: float | None = None
    agency: str | None = None
    author: str | None = None


@dataclass(frozen=True, slots=True)
class EventOut:
    id: str
    origins: tuple[OriginOut, ...]
    magnitudes: tuple[MagnitudeOut, ...] = ()
    preferred_origin_id: str | None = None  # default: the first origin
    preferred_magnitude_id: str | None = None  # default: the first magnitude
    focal_mechanisms: tuple[FocalMechanismOut, ...] = ()
    preferred_focal_mechanism_id: str | None = None
    location_name: str = ""
    event_type: str | None = "earthquake"
    catalog: str | None = None
    contributor: str | None = None
    contributor_id: str | None = None
    agency: str | None = None
    author: str | None = None
    creation_time: datetime | None = None
    updated: datetime | None = None

    @property
    def preferred_origin(self) -> OriginOut | None:
        return _pick(self.origins, self.preferred_origin_id)

    @property
    def preferred_magnitude(self) -> MagnitudeOut | None:
        return _pick(self.magnitudes, self.preferred_magnitude_id)

    @property
    def preferred_focal_mechanism(self) -> FocalMechanismOut | None:
        return _pick(self.focal_mechanisms, self.preferred_focal_mechanism_id)


def _pick(items: tuple[Any, ...], wanted: str | None) -> Any:
    if not items:
        return None
    if wanted is not None:
        for item in items:
            if item.id == wanted:
                return item
    return items[0]


def public_id(kind: str, local_id: str, prefix: str = "smi:ispec") -> str:
    """``smi:ispec/<kind>/<id>``; an id that already is a URI is kept."""
    if local_id.startswith(("smi:", "quakeml:")):
        return local_id
    return f"{prefix}/{kind}/{local_id}"


def _build(cls: type, data: Mapping[str, Any]) -> Any:
    names = {f.name for f in dataclasses.fields(cls)}
    values = {k: v for k, v in data.items() if k in names}
    if "id" in values:
        values["id"] = str(values["id"])
    return cls(**values)


def _from_flat(data: Mapping[str, Any], fallback_id: str | None) -> EventOut:
    event_id = data.get("id", data.get("public_id")) or fallback_id
    if event_id is None:
        raise ValueError("an event needs an 'id'")
    event_id = str(event_id)
    time = data.get("time", data.get("origin_time"))
    if not isinstance(time, datetime) or time.tzinfo is None:
        raise ValueError(f"event {event_id}: 'time' must be an aware datetime")
    agency = data.get("agency", data.get("source"))
    origin = OriginOut(
        id=event_id,
        time=time,
        latitude=float(data["latitude"]),
        longitude=float(data["longitude"]),
        depth_km=None if data.get("depth_km") is None else float(data["depth_km"]),
        evaluation_mode=data.get("evaluation_mode"),
        evaluation_status=data.get("evaluation_status"),
        agency=agency,
        author=data.get("author"),
        creation_time=data.get("creation_time"),
    )
    magnitudes: tuple[MagnitudeOut, ...] = ()
    if data.get("magnitude") is not None:
        magnitudes = (
            MagnitudeOut(
                id=event_id,
                magnitude=float(data["magnitude"]),
                magnitude_type=data.get("magnitude_type"),
                origin_id=event_id,
                evaluation_mode=data.get("evaluation_mode"),
                evaluation_status=data.get("evaluation_status"),
                agency=agency,
                author=data.get("magnitude_author", data.get("author")),
                creation_time=data.get("creation_time"),
            ),
        )
    mechanisms: tuple[FocalMechanismOut, ...] = ()
    if all(data.get(k) is not None for k in ("strike", "dip", "rake")):
        mechanisms = (
            FocalMechanismOut(
                id=event_id,
                strike=float(data["strike"]),
                dip=float(data["dip"]),
                rake=float(data["rake"]),
                agency=agency,
            ),
        )
    return EventOut(
        id=event_id,
        origins=(origin,),
        magnitudes=magnitudes,
        focal_mechanisms=mechanisms,
        location_name=data.get("location_name") or "",
        event_type=data.get("event_type", "earthquake"),
        catalog=data.get("catalog"),
        contributor=data.get("contributor"),
        contributor_id=data.get("contributor_id"),
        agency=agency,
        author=data.get("author"),
        creation_time=data.get("creation_time"),
        updated=data.get("updated"),
    )


def as_event(obj: EventOut | EventRow | Mapping[str, Any], *, fallback_id: str | None = None) -> EventOut:
    """Coerce one writer input (see the module docstring) to an EventOut."""
    if isinstance(obj, EventOut):
        return obj
    if isinstance(obj, EventRow):
        data = {f.name: getattr(obj, f.name) for f in dataclasses.fields(EventRow)}
        data["id"] = obj.public_id
        data["time"] = obj.origin_time
        data["agency"] = obj.source
        data["magnitude_author"] = obj.magnitude_author
        data["event_type"] = obj.event_type or "earthquake"
        return _from_flat(data, fallback_id)
    if "origins" not in obj:
        return _from_flat(obj, fallback_id)
    origins = tuple(o if isinstance(o, OriginOut) else _build(OriginOut, o) for o in obj["origins"])
    magnitudes = tuple(
        m if isinstance(m, MagnitudeOut) else _build(MagnitudeOut, m) for m in obj.get("magnitudes") or ()
    )
    mechanisms = tuple(
        f if isinstance(f, FocalMechanismOut) else _build(FocalMechanismOut, f)
        for f in obj.get("focal_mechanisms") or ()
    )
    if not origins:
        raise ValueError(f"event {obj.get('id')}: no origin")
    rest = {k: v for k, v in obj.items() if k not in ("origins", "magnitudes", "focal_mechanisms")}
    rest.setdefault("id", fallback_id)
    return _build(
        EventOut,
        {
            **rest,
            "origins": origins,
            "magnitudes": magnitudes,
            "focal_mechanisms": mechanisms,
        },
    )


def utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


#: The order of a *catalog row*: one event with one origin and one magnitude as a plain
#: tuple, what the database hands the FDSN service (``values_list``). The writers'
#: ``*_rows`` functions print these straight into lines, without a mapping or an
#: object per event (issue 18: 10 ms of 1,000 rows went to building objects only to
#: print one line). Their output is the same as the flat mapping's (form 3 above) with
#: ``agency``/``author`` = source or catalog, ``catalog``/``contributor`` = the bureau's
#: code, ``contributor_id`` = the id and the evaluation from ``status``.
ROW_FIELDS = (
    "public_id",
    "origin_time",
    "latitude",
    "longitude",
    "depth_km",
    "magnitude",
    "magnitude_type",
    "location_name",
    "source",
    "status",  # "automatic" -> automatic/preliminary, else manual/reviewed
    "event_type",
    "strike",
    "dip",
    "rake",
    "updated_at",
    "created_at",
    "bureau__code",
)


def utc_text_parts(value: str) -> tuple[str, str] | None:
    """PostgreSQL's text of a ``timestamptz`` read in a UTC session (DateStyle ISO, which
    psycopg needs for any time it reads), ``2019-12-31 19:50:21.604+00``, as
    ``("2019-12-31T19:50:21", "604000")``; the fraction is ``""`` when there is none (the
    database writes none for zero microseconds). None for any other shape (a year before
    1000 or after 9999, another offset): read those with :func:`database_time`.

    The FDSN service reads its times as this text (``catalog.selectors.fdsn_rows``):
    slicing it takes a fraction of building a datetime and formatting it again (issue 18).
    """
    size = len(value)
    if not (size == 22 or (24 <= size <= 29 and value[19] == ".")):
        return None
    if value[-3:] != "+00" or value[4] != "-" or value[10] != " ":
        return None
    if value[0] == "0":  # a year before 1000: strftime does not pad those (the writers' bytes)
        return None
    return value[:10] + "T" + value[11:19], (value[20:-3].ljust(6, "0") if size > 22 else "")


def utc_iso_text(value: Any) -> str | None:
    """``YYYY-MM-DDTHH:MM:SS.ffffff`` (UTC, six digits) of the database's text of a time in
    its common shape, ``2019-12-31 19:50:21.604+00`` (a fraction, a year from 1000); None
    for anything else (a datetime, no fraction, another shape: :func:`utc_text_parts` and
    :func:`database_time` read those). The writers' quick path: one slice and one f-string
    instead of a tuple of parts (issue 18)."""
    if (
        type(value) is str
        and 24 <= len(value) <= 29
        and value[19] == "."
        and value[-3:] == "+00"
        and value[0] != "0"
        and value[4] == "-"
        and value[10] == " "
    ):
        return f"{value[:10]}T{value[11:19]}.{value[20:-3].ljust(6, '0')}"
    return None


def float_text(value: Any) -> str:
    """``repr(float(value))`` of a float, or of PostgreSQL's text of a ``double precision``
    read as text (``catalog.selectors.fdsn_rows(floats_as_text=True)``), mostly without
    parsing it.

    Since PostgreSQL 12 a float is written as its shortest exact decimal (with the
    server's default ``extra_float_digits=1``, which ``portal.settings`` pins per connection),
    as is Python's ``repr``: for a plain decimal (a point, no exponent) the digits are the
    same, and a whole number lacks only the ``.0`` (``3`` → ``3.0``, ``-0`` → ``-0.0``). The
    rest (exponents, which PostgreSQL starts at 1e15 and Python at 1e16, ``Infinity``,
    ``NaN``) is parsed and written by Python. tests/catalog/test_fdsn_fast_paths.py checks
    it against ``repr`` on values of every magnitude read back from the database.
    """
    if type(value) is str:
        if "." in value:
            if "e" not in value:
                return value
        elif "e" not in value and value[-1:].isdigit():
            return value + ".0"
    return repr(float(value))


def database_time(value: str) -> datetime:
    """An aware datetime of PostgreSQL's ISO text of a ``timestamptz`` (any offset)."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise ValueError(f"not PostgreSQL's ISO text of a time with its offset: {value!r}")
    return parsed
