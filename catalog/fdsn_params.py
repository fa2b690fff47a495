"""Query parameters of the FDSN event web service (fdsnws-event 1.2).

``parse_fdsn_query`` turns a request's query string into a validated
:class:`FdsnQuery` or raises :class:`FdsnParamError` naming the parameter.
``application_wadl``, ``catalogs_xml`` and ``contributors_xml`` build the
service's description documents the way ObsPy's FDSN client reads them
(see /work/shared/STACK-NOTES.md: every parameter in the WADL's GET method
with id "query", ``style="query"``, a type ObsPy knows).

Choices where the specification leaves room:

* times are UTC; ``YYYY-MM-DDThh:mm:ss[.ssssss]``, ``YYYY-MM-DD``, a space
  for the ``T``, minutes without seconds and a trailing ``Z`` are accepted;
* ``minlongitude > maxlongitude`` is a box across the antimeridian (as the
  IRIS service does), see ``FdsnQuery.crosses_antimeridian``;
* a box and a radius in one request are refused by default: the
  specification defines both but not their combination (USGS intersects
  them). ``allow_box_and_radius=True`` keeps both, meaning the intersection;
* a parameter given twice, or under its name and its alias, is an error;
* parameter names are matched case-insensitively;
* ``includearrivals=true`` is refused (no arrivals are stored);
* ``limit`` above ``max_limit``, when one is given, is 413 (Request too
  large). The event service gives none: it refuses by the size of the
  result, with or without ``limit`` (``catalog.fdsn._selected``).
* ``limit`` and ``offset`` above 2147483647 (``xs:int``, as the WADL says) are 400.

Messages are ASCII: ObsPy decodes error bodies as ASCII.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape, quoteattr

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = [
    "FORMATS",
    "ORDER_BY",
    "PARAMETERS",
    "SERVICE_VERSION",
    "FdsnParamError",
    "FdsnQuery",
    "application_wadl",
    "catalogs_xml",
    "contributors_xml",
    "error_body",
    "parse_fdsn_query",
]

SERVICE_VERSION = "1.2.0"
FORMATS = ("xml", "text", "geojson")
ORDER_BY = ("time", "time-asc", "magnitude", "magnitude-asc")
NODATA = (204, 404)


@dataclass(frozen=True, slots=True)
class _Param:
    name: str
    kind: str  # "time" | "float" | "int" | "bool" | "str"
    doc: str
    aliases: tuple[str, ...] = ()
    default: str | None = None
    options: tuple[str, ...] = ()


#: Every parameter of the query method, in specification order.
PARAMETERS: tuple[_Param, ...] = (
    _Param("starttime", "time", "Limit to events on or after the specified start time.", ("start",)),
    _Param("endtime", "time", "Limit to events on or before the specified end time.", ("end",)),
    _Param("minlatitude", "float", "Southern boundary of the box, degrees.", ("minlat",), "-90.0"),
    _Param("maxlatitude", "float", "Northern boundary of the box, degrees.", ("maxlat",), "90.0"),
    _Param("minlongitude", "float", "Western boundary of the box, degrees.", ("minlon",), "-180.0"),
    _Param("maxlongitude", "float", "Eastern boundary of the box, degrees.", ("maxlon",), "180.0"),
    _Param("latitude", "float", "Latitude of the centre of a radius search.", ("lat",), "0.0"),
    _Param("longitude", "float", "Longitude of the centre of a radius search.", ("lon",), "0.0"),
    _Param("minradius", "float", "Minimum distance from the centre, degrees.", (), "0.0"),
    _Param("maxradius", "float", "Maximum distance from the centre, degrees.", (), "180.0"),
    _Param("mindepth", "float", "Limit to events with depth, km, at least this."),
    _Param("maxdepth", "float", "Limit to events with depth, km, at most this."),
    _Param("minmagnitude", "float", "Limit to events with magnitude at least this.", ("minmag",)),
    _Param("maxmagnitude", "float", "Limit to events with magnitude at most this.", ("maxmag",)),
    _Param("magnitudetype", "str", "Magnitude type the magnitude limits apply to.", ("magtype",)),
    _Param("eventtype", "str", "Comma-separated QuakeML event types (* and ? allowed)."),
    _Param("includeallorigins", "bool", "Include all origins, not only the preferred.", (), "false"),
    _Param("includeallmagnitudes", "bool", "Include all magnitudes, not only the preferred.", (), "false"),
    _Param("includearrivals", "bool", "Include arrivals (not available: false only).", (), "false"),
    _Param("eventid", "str", "Select one event by its identifier."),
    _Param("limit", "int", "Limit the number of events returned."),
    _Param("offset", "int", "Return results starting at this event (1-based).", (), "1"),
    _Param("orderby", "str", "Order of the results.", (), "time", ORDER_BY),
    _Param("catalog", "str", "Limit to events from this catalogue."),
    _Param("contributor", "str", "Limit to events contributed by this source."),
    _Param("updatedafter", "time", "Limit to events updated after this time."),
    _Param("format", "str", "Output format.", (), "xml", FORMATS),
    _Param("nodata", "int", "HTTP status when nothing matches.", (), "204", ("204", "404")),
)

_BY_NAME = {p.name: p for p in PARAMETERS}
_ALIAS = {alias: p.name for p in PARAMETERS for alias in p.aliases}
_TIME_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?Z?$"
)
#: ``limit`` and ``offset`` end up in SQL as ``bigint``; a larger number made PostgreSQL
#: fail ("bigint out of range") with a 500. No catalogue holds 2**31 events, so the
#: WADL's ``xs:int`` range is the honest bound.
INT_MAX = 2**31 - 1
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


class FdsnParamError(ValueError):
    """A query parameter is missing, unknown, malformed or inconsistent.

    ``status`` is the HTTP status to answer with (400, or 413 for a limit
    above the service's maximum).
    """

    def __init__(self, param: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.param = param
        self.message = message
        self.status = status

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class FdsnQuery:
    """A validated event query. None means "not given"."""

    starttime: datetime | None = None
    endtime: datetime | None = None
    minlatitude: float | None = None
    maxlatitude: float | None = None
    minlongitude: float | None = None
    maxlongitude: float | None = None
    latitude: float | None = None
    longitude: float | None = None
    minradius: float | None = None
    maxradius: float | None = None
    mindepth: float | None = None
    maxdepth: float | None = None
    minmagnitude: float | None = None
    maxmagnitude: float | None = None
    magnitudetype: str | None = None
    eventtype: tuple[str, ...] = ()
    includeallorigins: bool = False
    includeallmagnitudes: bool = False
    includearrivals: bool = False
    eventid: str | None = None
    limit: int | None = None
    offset: int = 1
    orderby: str = "time"
    catalog: str | None = None
    contributor: str | None = None
    updatedafter: datetime | None = None
    format: str = "xml"
    nodata: int = 204

    @property
    def has_box(self) -> bool:
        return any(
            v is not None for v in (self.minlatitude, self.maxlatitude, self.minlongitude, self.maxlongitude)
        )

    @property
    def has_radius(self) -> bool:
        return any(v is not None for v in (self.latitude, self.longitude, self.minradius, self.maxradius))

    @property
    def radius_centre(self) -> tuple[float, float]:
        """(latitude, longitude) of a radius search; the spec defaults are 0, 0."""
        return (self.latitude or 0.0, self.longitude or 0.0)

    @property
    def crosses_antimeridian(self) -> bool:
        """True for a box with minlongitude > maxlongitude (e.g. 170 to -170)."""
        return (
            self.minlongitude is not None
            and self.maxlongitude is not None
            and self.minlongitude > self.maxlongitude
        )

    @property
    def start_index(self) -> int:
        """0-based index of the first result (``offset`` is 1-based)."""
        return self.offset - 1


# ---------------------------------------------------------------- values


def _time(name: str, raw: str) -> datetime:
    match = _TIME_RE.match(raw)
    if match is not None:
        year, month, day, hour, minute, second, fraction = match.groups()
        try:
            return datetime(
                int(year),
                int(month),
                int(day),
                int(hour or 0),
                int(minute or 0),
                int(second or 0),
                int((fraction or "").ljust(6, "0")),
                tzinfo=UTC,
            )
        except ValueError:
            pass
    raise FdsnParamError(
        name,
        f"{name}: '{_ascii(raw)}' is not a valid time; use YYYY-MM-DDThh:mm:ss[.ssssss] or YYYY-MM-DD (UTC)",
    )


def _float(name: str, raw: str, low: float | None = None, high: float | None = None) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise FdsnParamError(name, f"{name}: '{_ascii(raw)}' is not a number")
    if (low is not None and value < low) or (high is not None and value > high):
        raise FdsnParamError(name, f"{name}: {raw} is out of range {low:g} to {high:g}")
    return value


def _int(name: str, raw: str, low: int, high: int = INT_MAX) -> int:
    if not re.fullmatch(r"[+]?\d+", raw):
        raise FdsnParamError(name, f"{name}: '{_ascii(raw)}' is not a whole number")
    digits = raw.lstrip("+").lstrip("0") or "0"
    # Count digits before int(): Python refuses to convert more than 4300 of them.
    if len(digits) > len(str(high)) or int(digits) > high:
        raise FdsnParamError(name, f"{name}: must be {high} or less, got {_ascii(raw)}")
    value = int(digits)
    if value < low:
        raise FdsnParamError(name, f"{name}: must be {low} or more, got {value}")
    return value


def _bool(name: str, raw: str) -> bool:
    lowered = raw.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise FdsnParamError(name, f"{name}: '{_ascii(raw)}' is not true or false")


def _choice(name: str, raw: str, options: Iterable[str]) -> str:
    lowered = raw.lower()
    options = tuple(options)
    if lowered not in options:
        raise FdsnParamError(name, f"{name}: '{_ascii(raw)}' is not one of {', '.join(options)}")
    return lowered


def _ascii(text: str) -> str:
    text = text if len(text) <= 60 else text[:57] + "..."
    return text.encode("ascii", "backslashreplace").decode("ascii")


# ---------------------------------------------------------------- parsing


def _collect(params: Mapping[str, list[str] | tuple[str, ...] | str]) -> dict[str, str]:
    given: dict[str, str] = {}
    spelled: dict[str, str] = {}
    for raw_key, raw_value in params.items():
        key = raw_key.strip().lower()
        name = _ALIAS.get(key, key)
        if name not in _BY_NAME:
            raise FdsnParamError(_ascii(raw_key), f"unknown parameter '{_ascii(raw_key)}'")
        values = [raw_value] if isinstance(raw_value, str) else list(raw_value)
        if len(values) != 1:
            raise FdsnParamError(name, f"{name}: given {len(values)} times; give it once")
        if name in given:
            raise FdsnParamError(name, f"{name}: given twice (as '{spelled[name]}' and '{_ascii(raw_key)}')")
        value = values[0].strip()
        if not value:
            raise FdsnParamError(name, f"{name}: empty value")
        given[name] = value
        spelled[name] = _ascii(raw_key)
    return given


def parse_fdsn_query(
    params: Mapping[str, list[str] | tuple[str, ...] | str],
    *,
    max_limit: int | None = None,
    allow_box_and_radius: bool = False,
) -> FdsnQuery:
    """Validate the query parameters of an fdsnws-event request.

    ``params``: name to value or list of values (``dict(request.GET.lists())``
    works). Raises FdsnParamError(param, message, status): 400 for unknown,
    repeated, malformed or inconsistent parameters, 413 when ``limit``
    exceeds ``max_limit`` (if given).
    """
    given = _collect(params)
    values: dict[str, object] = {}
    for name, raw in given.items():
        kind = _BY_NAME[name].kind
        if kind == "time":
            values[name] = _time(name, raw)
        elif name in ("minlatitude", "maxlatitude", "latitude"):
            values[name] = _float(name, raw, -90.0, 90.0)
        elif name in ("minlongitude", "maxlongitude", "longitude"):
            values[name] = _float(name, raw, -180.0, 180.0)
        elif name in ("minradius", "maxradius"):
            values[name] = _float(name, raw, 0.0, 180.0)
        elif name in ("mindepth", "maxdepth"):
            values[name] = _float(name, raw, -10.0, 1000.0)
        elif name in ("minmagnitude", "maxmagnitude"):
            values[name] = _float(name, raw, -5.0, 12.0)
        elif kind == "bool":
            values[name] = _bool(name, raw)
        elif name in ("limit", "offset"):
            values[name] = _int(name, raw, 1)
        elif name == "nodata":
            values[name] = int(_choice(name, raw, ("204", "404")))
        elif name == "orderby":
            values[name] = _choice(name, raw, ORDER_BY)
        elif name == "format":
            values[name] = _choice(name, raw, FORMATS)
        elif name == "eventtype":
            types = tuple(t.strip() for t in raw.split(",") if t.strip())
            if not types:
                raise FdsnParamError(name, f"{name}: empty value")
            values[name] = types
        else:
            values[name] = raw
    query = FdsnQuery(**values)  # type: ignore[arg-type]
    _check_consistency(query, max_limit=max_limit, allow_box_and_radius=allow_box_and_radius)
    return query


def _check_consistency(query: FdsnQuery, *, max_limit: int | None, allow_box_and_radius: bool) -> None:
    def pair(low_name: str, high_name: str) -> None:
        low, high = getattr(query, low_name), getattr(query, high_name)
        if low is not None and high is not None and low > high:
            raise FdsnParamError(
                low_name, f"{low_name} ({_show(low)}) is greater than {high_name} ({_show(high)})"
            )

    if query.includearrivals:
        raise FdsnParamError(
            "includearrivals", "includearrivals: true is not supported; arrivals are not stored"
        )
    if query.starttime is not None and query.endtime is not None and query.starttime > query.endtime:
        raise FdsnParamError(
            "starttime",
            f"starttime ({_show(query.starttime)}) is after endtime ({_show(query.endtime)})",
        )
    pair("minlatitude", "maxlatitude")
    pair("minradius", "maxradius")
    pair("mindepth", "maxdepth")
    pair("minmagnitude", "maxmagnitude")
    if query.has_box and query.has_radius and not allow_box_and_radius:
        raise FdsnParamError(
            "maxradius" if query.maxradius is not None else "latitude",
            "a box (minlatitude/maxlatitude/minlongitude/maxlongitude) and a radius "
            "(latitude/longitude/minradius/maxradius) cannot be combined; use one",
        )
    if max_limit is not None and query.limit is not None and query.limit > max_limit:
        raise FdsnParamError(
            "limit", f"limit: {query.limit} is more than the maximum of {max_limit}", status=413
        )


def _show(value: object) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{value:g}" if isinstance(value, float) else str(value)


# ---------------------------------------------------------------- documents

_WADL_TYPES = {
    "time": "xs:date",
    "float": "xs:double",
    "int": "xs:int",
    "bool": "xs:boolean",
    "str": "xs:string",
}
_FORMAT_MEDIA = {"xml": "application/xml", "text": "text/plain", "geojson": "application/json"}


def application_wadl(base_url: str) -> str:
    """The service's ``application.wadl``; ``base_url`` ends in ``/event/1/``.

    Every parameter of ``query`` is listed under ``<method name="GET"
    id="query">`` with ``style="query"`` (aliases are named in the doc).
    """
    params = []
    for param in PARAMETERS:
        attributes = [
            f"name={quoteattr(param.name)}",
            'style="query"',
            f'type="{_WADL_TYPES[param.kind]}"',
            'required="false"',
        ]
        if param.default is not None:
            attributes.append(f"default={quoteattr(param.default)}")
        doc = param.doc + (f" Alias: {', '.join(param.aliases)}." if param.aliases else "")
        body = [f'        <doc xml:lang="en" title={quoteattr(param.name)}>{escape(doc)}</doc>']
        for option in param.options:
            media = _FORMAT_MEDIA.get(option) if param.name == "format" else None
            media_attr = f" mediaType={quoteattr(media)}" if media else ""
            body.append(f"        <option value={quoteattr(option)}{media_attr}/>")
        params.append(f"      <param {' '.join(attributes)}>\n" + "\n".join(body) + "\n      </param>")
    base = quoteattr(base_url if base_url.endswith("/") else base_url + "/")
    simple = "\n".join(
        f'  <resource path="{path}">\n'
        f'   <method name="GET" id="{method_id}">\n'
        f'    <response status="200"><representation mediaType="{media}"/></response>\n'
        "   </method>\n"
        "  </resource>"
        for path, method_id, media in (
            ("catalogs", "catalogs", "application/xml"),
            ("contributors", "contributors", "application/xml"),
            ("version", "version", "text/plain"),
            ("application.wadl", "application.wadl", "application/xml"),
        )
    )
    representations = "".join(f'<representation mediaType="{media}"/>' for media in _FORMAT_MEDIA.values())
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<application xmlns="http://wadl.dev.java.net/2009/02" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema">\n'
        f"<resources base={base}>\n"
        '  <resource path="query">\n'
        '   <method name="GET" id="query">\n'
        "    <request>\n" + "\n".join(params) + "\n    </request>\n"
        f'    <response status="200">{representations}</response>\n'
        '    <response status="204 400 401 403 404 413 414 500 503">'
        '<representation mediaType="text/plain"/></response>\n'
        "   </method>\n"
        "  </resource>\n" + simple + "\n</resources>\n</application>\n"
    )


def _simple_list(root: str, child: str, names: Iterable[str]) -> str:
    items = "".join(f"<{child}>{escape(name)}</{child}>\n" for name in names)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<{root}>\n{items}</{root}>\n'


def catalogs_xml(names: Iterable[str]) -> str:
    """``<Catalogs><Catalog>CENC</Catalog>...</Catalogs>`` for ``/catalogs``."""
    return _simple_list("Catalogs", "Catalog", names)


def contributors_xml(names: Iterable[str]) -> str:
    """``<Contributors><Contributor>JX</Contributor>...</Contributors>``."""
    return _simple_list("Contributors", "Contributor", names)


_REASONS = {
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    413: "Request Entity Too Large",
    414: "Request-URI Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def error_body(
    status: int,
    message: str,
    *,
    request_url: str,
    documentation_url: str,
    submitted: datetime | None = None,
    version: str = SERVICE_VERSION,
) -> str:
    """The plain-text error document of the FDSN specification (ASCII only)."""
    when = (submitted or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    text = (
        f"Error {status}: {_REASONS.get(status, 'Error')}\n\n"
        f"{message}\n\n"
        f"Usage details are available from {documentation_url}\n\n"
        f"Request:\n{request_url}\n\n"
        f"Request Submitted:\n{when}\n\n"
        f"Service version:\n{version}\n"
    )
    return text.encode("ascii", "replace").decode("ascii")
