"""QuakeML 1.2 (BED): read with ObsPy, write as a stream of bytes."""

from __future__ import annotations

import io
import re
import warnings
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, Any
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from catalog.formats.events import (
    EventOut,
    as_event,
    database_time,
    float_text,
    public_id,
    utc_iso_text,
    utc_text_parts,
)
from catalog.formats.rows import (
    DEPTH_RANGE_KM,
    LATITUDE_RANGE,
    LONGITUDE_RANGE,
    EventRow,
    FormatError,
    ReadResult,
    RowError,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

__all__ = [
    "BED_NAMESPACE",
    "QUAKEML_NAMESPACE",
    "QUAKEML_TAIL",
    "quakeml_events",
    "quakeml_head",
    "quakeml_row",
    "read_quakeml",
    "write_quakeml",
    "write_quakeml_rows",
]

BED_NAMESPACE = "http://quakeml.org/xmlns/bed/1.2"
QUAKEML_NAMESPACE = "http://quakeml.org/xmlns/quakeml/1.2"

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


# ---------------------------------------------------------------- reading


def _parse_safely(data: bytes) -> etree._ElementTree:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
    try:
        tree = etree.parse(io.BytesIO(data), parser)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or (exc.position[0] if exc.position else None)
        raise FormatError(f"QuakeML is not well-formed XML: line {line}: {exc.msg}", line=line) from None
    if tree.docinfo.internalDTD is not None:
        raise FormatError("QuakeML with a DOCTYPE is not accepted", line=1)
    root = tree.getroot()
    if etree.QName(root).localname != "quakeml":
        raise FormatError(
            f"not QuakeML: line {root.sourceline}: root element is "
            f"<{etree.QName(root).localname}>, "
            "expected <q:quakeml>",
            line=root.sourceline,
        )
    if not root.xpath("*[local-name()='eventParameters']"):
        raise FormatError("QuakeML has no <eventParameters> element", line=root.sourceline)
    return tree


def read_quakeml(fileobj: IO[Any] | bytes) -> Iterator[ReadResult]:
    """Yield an EventRow (or a RowError) per <event> of a QuakeML 1.2 document.

    Not streaming: ObsPy reads the whole document into memory first, so keep
    uploads to a sensible size. The document is first parsed by lxml without
    entity expansion, DTDs or network access; malformed XML raises
    FormatError naming the line lxml reports.

    Per event: the preferred origin and magnitude (else the first ones),
    depth converted from metres to km, the region-name description as the
    location, and nodal plane 1 of the preferred focal mechanism.
    """
    import obspy

    data = fileobj if isinstance(fileobj, bytes) else fileobj.read()
    if isinstance(data, str):
        data = data.encode("utf-8")
    tree = _parse_safely(data)
    lines = {
        element.get("publicID"): element.sourceline
        for element in tree.getroot().iter(f"{{{BED_NAMESPACE}}}event", "event")
    }
    try:
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            catalog = obspy.read_events(io.BytesIO(data), format="QUAKEML")
    except Exception as exc:  # noqa: BLE001 - ObsPy's QuakeML reader raises bare Exception on bad input
        raise FormatError(f"QuakeML could not be read: {exc}") from None
    for event in catalog:
        event_id = str(event.resource_id) if event.resource_id else None
        line = lines.get(event_id)
        try:
            yield _event_row(event, event_id, line)
        except ValueError as problem:
            yield RowError(line, f"event {event_id}: {problem}")


def _event_row(event: Any, event_id: str | None, line: int | None) -> EventRow:
    origin = event.preferred_origin() or (event.origins[0] if event.origins else None)
    if origin is None:
        raise ValueError("has no origin")
    if origin.time is None:
        raise ValueError("origin has no valid time")
    if origin.latitude is None or origin.longitude is None:
        raise ValueError("origin has no latitude/longitude")
    if not LATITUDE_RANGE[0] <= origin.latitude <= LATITUDE_RANGE[1]:
        raise ValueError(f"latitude '{origin.latitude}' is out of range -90..90")
    if not LONGITUDE_RANGE[0] <= origin.longitude <= LONGITUDE_RANGE[1]:
        raise ValueError(f"longitude '{origin.longitude}' is out of range -180..180")
    depth_km = None if origin.depth is None else origin.depth / 1000.0
    if depth_km is not None and not DEPTH_RANGE_KM[0] <= depth_km <= DEPTH_RANGE_KM[1]:
        raise ValueError(f"depth '{origin.depth}' m is out of range")
    magnitude = event.preferred_magnitude() or (event.magnitudes[0] if event.magnitudes else None)
    location = ""
    for description in event.event_descriptions:
        if description.type == "region name":
            location = description.text or ""
            break
    else:
        if event.event_descriptions:
            location = event.event_descriptions[0].text or ""
    strike = dip = rake = None
    mechanism = event.preferred_focal_mechanism() or (
        event.focal_mechanisms[0] if event.focal_mechanisms else None
    )
    if mechanism is not None and mechanism.nodal_planes and mechanism.nodal_planes.nodal_plane_1:
        plane = mechanism.nodal_planes.nodal_plane_1
        strike, dip, rake = plane.strike, plane.dip, plane.rake
    info = origin.creation_info or event.creation_info
    mag_info = magnitude.creation_info if magnitude is not None else None
    return EventRow(
        origin_time=origin.time.datetime.replace(tzinfo=UTC),
        latitude=float(origin.latitude),
        longitude=float(origin.longitude),
        depth_km=depth_km,
        magnitude=None if magnitude is None else float(magnitude.mag),
        magnitude_type=None if magnitude is None else magnitude.magnitude_type,
        location_name=location,
        public_id=event_id,
        source=(info.agency_id or info.author) if info else None,
        magnitude_author=(mag_info.author or mag_info.agency_id) if mag_info else None,
        event_type=event.event_type,
        evaluation_mode=origin.evaluation_mode,
        evaluation_status=origin.evaluation_status,
        strike=strike,
        dip=dip,
        rake=rake,
        line=line,
    )


# ---------------------------------------------------------------- writing


def _clean(value: object) -> str:
    return _CONTROL.sub(" ", str(value))


def _text(value: object) -> str:
    return escape(_clean(value))


def _attr(value: object) -> str:
    return quoteattr(_clean(value))


def _time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _number(value: float) -> str:
    return repr(float(value))


def _value(tag: str, value: float) -> str:
    return f"<{tag}><value>{_number(value)}</value></{tag}>"


def _creation_info(agency: str | None, author: str | None, creation_time: datetime | None) -> str:
    parts = []
    if agency:
        parts.append(f"<agencyID>{_text(agency)}</agencyID>")
    if author:
        parts.append(f"<author>{_text(author)}</author>")
    if creation_time is not None:
        parts.append(f"<creationTime>{_time(creation_time)}</creationTime>")
    return f"<creationInfo>{''.join(parts)}</creationInfo>" if parts else ""


def _event_xml(
    event: EventOut,
    *,
    include_all_origins: bool,
    include_all_magnitudes: bool,
    prefix: str,
) -> str:
    def pid(kind: str, local_id: str) -> str:
        return public_id(kind, local_id, prefix)

    preferred_origin = event.preferred_origin
    preferred_magnitude = event.preferred_magnitude
    preferred_mechanism = event.preferred_focal_mechanism
    origins = event.origins if include_all_origins else (preferred_origin,)
    magnitudes = event.magnitudes if include_all_magnitudes else (preferred_magnitude,)
    out = [f"<event publicID={_attr(pid('event', event.id))}>"]
    if event.location_name:
        out.append(
            f"<description><text>{_text(event.location_name)}</text><type>region name</type></description>"
        )
    for mechanism in event.focal_mechanisms:
        planes = _value("strike", mechanism.strike) + _value("dip", mechanism.dip)
        planes += _value("rake", mechanism.rake)
        second = ""
        if None not in (mechanism.strike2, mechanism.dip2, mechanism.rake2):
            second = (
                "<nodalPlane2>"
                + _value("strike", mechanism.strike2)  # type: ignore[arg-type]
                + _value("dip", mechanism.dip2)  # type: ignore[arg-type]
                + _value("rake", mechanism.rake2)  # type: ignore[arg-type]
                + "</nodalPlane2>"
            )
        out.append(
            f"<focalMechanism publicID={_attr(pid('focalmechanism', mechanism.id))}>"
            '<nodalPlanes preferredPlane="1">'
            f"<nodalPlane1>{planes}</nodalPlane1>{second}"
            "</nodalPlanes>" + _creation_info(mechanism.agency, mechanism.author, None) + "</focalMechanism>"
        )
    for origin in origins:
        if origin is None:
            continue
        parts = [
            f"<origin publicID={_attr(pid('origin', origin.id))}>",
            f"<time><value>{_time(origin.time)}</value></time>",
            _value("latitude", origin.latitude),
            _value("longitude", origin.longitude),
        ]
        if origin.depth_km is not None:
            parts.append(_value("depth", round(origin.depth_km * 1000.0, 3)))
        if origin.evaluation_mode:
            parts.append(f"<evaluationMode>{_text(origin.evaluation_mode)}</evaluationMode>")
        if origin.evaluation_status:
            parts.append(f"<evaluationStatus>{_text(origin.evaluation_status)}</evaluationStatus>")
        parts.append(_creation_info(origin.agency, origin.author, origin.creation_time))
        parts.append("</origin>")
        out.append("".join(parts))
    for magnitude in magnitudes:
        if magnitude is None:
            continue
        parts = [
            f"<magnitude publicID={_attr(pid('magnitude', magnitude.id))}>",
            _value("mag", magnitude.magnitude),
        ]
        if magnitude.magnitude_type:
            parts.append(f"<type>{_text(magnitude.magnitude_type)}</type>")
        if magnitude.origin_id:
            parts.append(f"<originID>{_text(pid('origin', magnitude.origin_id))}</originID>")
        if magnitude.station_count is not None:
            parts.append(f"<stationCount>{int(magnitude.station_count)}</stationCount>")
        if magnitude.evaluation_mode:
            parts.append(f"<evaluationMode>{_text(magnitude.evaluation_mode)}</evaluationMode>")
        if magnitude.evaluation_status:
            parts.append(f"<evaluationStatus>{_text(magnitude.evaluation_status)}</evaluationStatus>")
        parts.append(_creation_info(magnitude.agency, magnitude.author, magnitude.creation_time))
        parts.append("</magnitude>")
        out.append("".join(parts))
    if preferred_origin is not None:
        out.append(f"<preferredOriginID>{_text(pid('origin', preferred_origin.id))}</preferredOriginID>")
    if preferred_magnitude is not None:
        out.append(
            f"<preferredMagnitudeID>{_text(pid('magnitude', preferred_magnitude.id))}</preferredMagnitudeID>"
        )
    if preferred_mechanism is not None:
        out.append(
            "<preferredFocalMechanismID>"
            f"{_text(pid('focalmechanism', preferred_mechanism.id))}"
            "</preferredFocalMechanismID>"
        )
    if event.event_type:
        out.append(f"<type>{_text(event.event_type)}</type>")
    out.append(_creation_info(event.agency, event.author, event.creation_time or event.updated))
    out.append("</event>\n")
    return "".join(out)


def write_quakeml(
    events: Iterable[EventOut | EventRow | Mapping[str, Any]],
    *,
    include_all_origins: bool = False,
    include_all_magnitudes: bool = False,
    id_prefix: str = "smi:ispec",
    parameters_id: str | None = None,
    agency_id: str | None = "ISPEC",
    creation_time: datetime | None = None,
) -> Iterator[bytes]:
    """Yield a QuakeML 1.2 document in pieces: the header, one piece per
    event, the footer. Nothing holds more than one event in memory.

    Inputs are described in :mod:`catalog.formats.events`. Without
    ``include_all_origins`` / ``include_all_magnitudes`` only the preferred
    origin / magnitude is written (FDSN defaults). Depths are written in
    metres. ``creation_time`` defaults to now (UTC).
    """
    created = creation_time or datetime.now(UTC)
    parameters = parameters_id or f"{id_prefix}/eventParameters"
    yield (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<q:quakeml xmlns="{BED_NAMESPACE}" xmlns:q="{QUAKEML_NAMESPACE}">\n'
        f"<eventParameters publicID={_attr(parameters)}>\n"
        f"{_creation_info(agency_id, None, created)}\n"
    ).encode()
    for index, item in enumerate(events, start=1):
        event = as_event(item, fallback_id=str(index))
        yield _event_xml(
            event,
            include_all_origins=include_all_origins,
            include_all_magnitudes=include_all_magnitudes,
            prefix=id_prefix,
        ).encode("utf-8")
    yield b"</eventParameters>\n</q:quakeml>\n"


def _utc_stamp(value: datetime | str) -> str:
    """:func:`_time` of an aware datetime or of the database's text of one
    (:func:`~catalog.formats.events.utc_text_parts`), quicker: the text is sliced, and a
    UTC datetime written by ``isoformat`` (C: the same fields; its ``+00:00`` becomes the Z)."""
    if isinstance(value, str):
        common = utc_iso_text(value)
        if common is not None:
            return common + "Z"
        parts = utc_text_parts(value)
        if parts is not None:
            return f"{parts[0]}.{parts[1] or '000000'}Z"
        value = database_time(value)
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    if value.year < 1000:  # strftime's %Y does not pad those: keep its bytes
        return _time(value)
    text = value.isoformat()[:-6]  # (isoformat(timespec=...) costs more than it saves)
    return text + "Z" if value.microsecond else text + ".000000Z"


def quakeml_row(row: tuple[Any, ...], prefix: str = "smi:ispec") -> str:
    """One catalog row (``events.ROW_FIELDS`` order) as the ``<event>`` that
    :func:`_event_xml` writes for its flat mapping: same elements, same order."""
    (
        event_id,
        time,
        latitude,
        longitude,
        depth_km,
        magnitude,
        magnitude_type,
        location_name,
        source,
        status,
        event_type,
        strike,
        dip,
        rake,
        updated,
        created,
        code,
    ) = row
    local = str(event_id)
    origin_pid = public_id("origin", local, prefix)
    magnitude_pid = public_id("magnitude", local, prefix)
    origin_id, magnitude_id = _text(origin_pid), _text(magnitude_pid)
    agency = _text(source or code)
    if status == "automatic":
        evaluation = (
            "<evaluationMode>automatic</evaluationMode><evaluationStatus>preliminary</evaluationStatus>"
        )
    else:
        evaluation = "<evaluationMode>manual</evaluationMode><evaluationStatus>reviewed</evaluationStatus>"
    stamp = created or updated
    info_created = (
        f"<creationInfo><agencyID>{agency}</agencyID><author>{agency}</author>"
        + (f"<creationTime>{_utc_stamp(created)}</creationTime>" if created is not None else "")
        + "</creationInfo>"
    )
    out = [f"<event publicID={_attr(public_id('event', local, prefix))}>"]
    if location_name:
        out.append(f"<description><text>{_text(location_name)}</text><type>region name</type></description>")
    mechanism = strike is not None and dip is not None and rake is not None
    if mechanism:
        out.append(
            f"<focalMechanism publicID={_attr(public_id('focalmechanism', local, prefix))}>"
            '<nodalPlanes preferredPlane="1"><nodalPlane1>'
            f"<strike><value>{float_text(strike)}</value></strike><dip><value>{float_text(dip)}</value></dip>"
            f"<rake><value>{float_text(rake)}</value></rake>"
            f"</nodalPlane1></nodalPlanes><creationInfo><agencyID>{agency}</agencyID></creationInfo>"
            "</focalMechanism>"
        )
    depth = "" if depth_km is None else _value("depth", round(float(depth_km) * 1000.0, 3))
    out.append(
        f"<origin publicID={_attr(origin_pid)}><time><value>{_utc_stamp(time)}</value></time>"
        f"<latitude><value>{float_text(latitude)}</value></latitude>"
        f"<longitude><value>{float_text(longitude)}</value></longitude>{depth}{evaluation}{info_created}</origin>"
    )
    if magnitude is not None:
        kind = f"<type>{_text(magnitude_type)}</type>" if magnitude_type else ""
        out.append(
            f"<magnitude publicID={_attr(magnitude_pid)}><mag><value>{float_text(magnitude)}</value></mag>{kind}"
            f"<originID>{origin_id}</originID>{evaluation}{info_created}</magnitude>"
        )
    out.append(f"<preferredOriginID>{origin_id}</preferredOriginID>")
    if magnitude is not None:
        out.append(f"<preferredMagnitudeID>{magnitude_id}</preferredMagnitudeID>")
    if mechanism:
        out.append(
            "<preferredFocalMechanismID>"
            f"{_text(public_id('focalmechanism', local, prefix))}"
            "</preferredFocalMechanismID>"
        )
    out.append(f"<type>{_text(event_type or 'earthquake')}</type>")
    out.append(
        f"<creationInfo><agencyID>{agency}</agencyID><author>{agency}</author>"
        + (f"<creationTime>{_utc_stamp(stamp)}</creationTime>" if stamp is not None else "")
        + "</creationInfo></event>\n"
    )
    return "".join(out)


def quakeml_head(
    *, id_prefix: str = "smi:ispec", agency_id: str | None = "ISPEC", creation_time: datetime | None = None
) -> str:
    """The document up to the first ``<event>`` (``creation_time`` defaults to now)."""
    created = creation_time or datetime.now(UTC)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<q:quakeml xmlns="{BED_NAMESPACE}" xmlns:q="{QUAKEML_NAMESPACE}">\n'
        f"<eventParameters publicID={_attr(id_prefix + '/eventParameters')}>\n"
        f"{_creation_info(agency_id, None, created)}\n"
    )


QUAKEML_TAIL = "</eventParameters>\n</q:quakeml>\n"


def _plain_text(value: Any) -> bool:
    """True when :func:`_text` gives ``value`` back as it is: a string without markup
    characters or the control characters ``_CONTROL`` replaces (``isprintable()`` is False
    for every control character; a few ``in`` tests take a fraction of a regular expression)."""
    return (
        type(value) is str
        and value.isprintable()
        and "&" not in value
        and "<" not in value
        and ">" not in value
    )


def _plain_id(value: Any) -> bool:
    """True when ``quoteattr`` wraps ``value`` in double quotes and changes nothing else
    (and :func:`_text` gives it back): no markup, no quotes, no tab, CR, LF or other control."""
    return _plain_text(value) and '"' not in value and "'" not in value


_AUTOMATIC = "<evaluationMode>automatic</evaluationMode><evaluationStatus>preliminary</evaluationStatus>"
_MANUAL = "<evaluationMode>manual</evaluationMode><evaluationStatus>reviewed</evaluationStatus>"


def _metres(depth_km: float) -> str:
    """``repr(round(depth_km * 1000.0, 3))`` (what :func:`quakeml_row` writes), mostly
    without ``round``, which is slow for what it does: when the shortest text of the
    product has three decimals or fewer, rounding to three gives the product back. (The
    nearest three-decimal number to it is then at most half a unit of the last place
    away, and below 1e9 metres no such number lies exactly half a unit away, where
    rounding to even could go the other way.)"""
    product = depth_km * 1000.0
    text = repr(product)
    dot = text.find(".")
    if dot > 0 and len(text) - dot <= 4 and "e" not in text and -1e9 < product < 1e9:
        return text
    return repr(round(product, 3))


def quakeml_events(rows: Iterable[tuple[Any, ...]], prefix: str = "smi:ispec") -> Iterator[str]:
    """:func:`quakeml_row` of each catalog row, quicker: the texts repeated on every row
    (agency, types, the creation time the events of one import share) are written once per
    answer, an id or a place name escaped only when it holds something to escape, and one
    f-string writes the event. A row whose id is already a URI or needs escaping goes
    through :func:`quakeml_row` itself."""
    if not _plain_id(prefix):
        yield from (quakeml_row(row, prefix) for row in rows)
        return
    # (source, code, magnitude type, event type) -> agency, its <creationInfo> opened,
    # <type> of the magnitude, <type> of the event: escaped once an answer
    repeated: dict[tuple[Any, Any, Any, Any], tuple[str, str, str, str]] = {}
    # creation time -> its <creationTime>: the events of one import share theirs
    creations: dict[Any, str] = {}
    plain_id, plain_text, metres, number, stamp = _plain_id, _plain_text, _metres, float_text, _utc_stamp
    for row in rows:
        (
            event_id,
            time,
            latitude,
            longitude,
            depth_km,
            magnitude,
            magnitude_type,
            place,
            source,
            status,
            event_type,
            strike,
            dip,
            rake,
            updated,
            created,
            code,
        ) = row
        if not plain_id(event_id) or event_id.startswith(("smi:", "quakeml:")):
            yield quakeml_row(row, prefix)
            continue
        found = repeated.get((source, code, magnitude_type, event_type))
        if found is None:
            agency = _text(source or code)
            found = (
                agency,
                f"<creationInfo><agencyID>{agency}</agencyID><author>{agency}</author>",
                f"<type>{_text(magnitude_type)}</type>" if magnitude_type else "",
                f"<type>{_text(event_type or 'earthquake')}</type>",
            )
            repeated[(source, code, magnitude_type, event_type)] = found
        agency, info, kind, what = found
        evaluation = _AUTOMATIC if status == "automatic" else _MANUAL
        if created is not None:
            created_at = stamped = creations.get(created) or creations.setdefault(
                created, f"<creationTime>{stamp(created)}</creationTime>"
            )
        else:
            created_at = ""
            stamped = "" if updated is None else f"<creationTime>{stamp(updated)}</creationTime>"
        origin_id = f"{prefix}/origin/{event_id}"
        if place:
            if not plain_text(place):
                place = _text(place)
            description = f"<description><text>{place}</text><type>region name</type></description>"
        else:
            description = ""
        mechanism = strike is not None and dip is not None and rake is not None
        if mechanism:
            mechanism_id = f"{prefix}/focalmechanism/{event_id}"
            focal = (
                f'<focalMechanism publicID="{mechanism_id}"><nodalPlanes preferredPlane="1"><nodalPlane1>'
                f"<strike><value>{number(strike)}</value></strike><dip><value>{number(dip)}</value></dip>"
                f"<rake><value>{number(rake)}</value></rake>"
                f"</nodalPlane1></nodalPlanes><creationInfo><agencyID>{agency}</agencyID></creationInfo>"
                "</focalMechanism>"
            )
            preferred_focal = f"<preferredFocalMechanismID>{mechanism_id}</preferredFocalMechanismID>"
        else:
            focal = preferred_focal = ""
        depth = "" if depth_km is None else f"<depth><value>{metres(float(depth_km))}</value></depth>"
        if magnitude is not None:
            magnitude_id = f"{prefix}/magnitude/{event_id}"
            mag = (
                f'<magnitude publicID="{magnitude_id}"><mag><value>{number(magnitude)}</value></mag>{kind}'
                f"<originID>{origin_id}</originID>{evaluation}{info}{created_at}</creationInfo></magnitude>"
            )
            preferred_mag = f"<preferredMagnitudeID>{magnitude_id}</preferredMagnitudeID>"
        else:
            mag = preferred_mag = ""
        yield (
            f'<event publicID="{prefix}/event/{event_id}">{description}{focal}'
            f'<origin publicID="{origin_id}"><time><value>{stamp(time)}</value></time>'
            f"<latitude><value>{number(latitude)}</value></latitude>"
            f"<longitude><value>{number(longitude)}</value></longitude>{depth}{evaluation}"
            f"{info}{created_at}</creationInfo></origin>{mag}"
            f"<preferredOriginID>{origin_id}</preferredOriginID>{preferred_mag}{preferred_focal}"
            f"{what}{info}{stamped}</creationInfo></event>\n"
        )


def write_quakeml_rows(
    rows: Iterable[tuple[Any, ...]],
    *,
    id_prefix: str = "smi:ispec",
    agency_id: str | None = "ISPEC",
    creation_time: datetime | None = None,
) -> Iterator[bytes]:
    """:func:`write_quakeml` (preferred origin and magnitude only) for catalog rows:
    tuples in ``events.ROW_FIELDS`` order (times aware datetimes or the database's text of
    them, ``events.utc_text_parts``), one string per event (:func:`quakeml_events`), no
    object per row. The same bytes as the flat mapping gives
    (tests/catalog/test_fdsn_golden.py)."""
    yield quakeml_head(id_prefix=id_prefix, agency_id=agency_id, creation_time=creation_time).encode()
    for event in quakeml_events(rows, id_prefix):
        yield event.encode("utf-8")
    yield QUAKEML_TAIL.encode()
