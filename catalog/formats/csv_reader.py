"""Streaming reader for catalogue tables (CSV, TSV, semicolon-separated).

The header row names the columns, in English or Chinese, matched without
regard to case, spaces, underscores or a unit in brackets. Recognised names
(after normalising) for each field:

==============  ==========================================================
field           header names
==============  ==========================================================
time            time, origintime, datetime, eventtime, otime, 发震时刻,
                发震时间, 时间 (a full date-time; or only the time of day
                when a date column is present)
date            date, origindate, eventdate, 发震日期, 日期
latitude        lat, latitude, evla, epilat, 纬度, 震中纬度
longitude       lon, long, lng, longitude, evlo, epilon, 经度, 震中经度
depth           depth, dep, depthkm, evdp, epidepth, 深度, 震源深度
magnitude       mag, magnitude, 震级, 震级值, or a magnitude-type name used as
                header (m, ml, ms, mw, mb, md ...) which also gives the type
magnitude_type  magtype, magnitudetype, 震级类型, 震级单位
location        place, location, locationname, eventlocationname, region,
                参考地点, 参考位置, 地点, 地名, 位置, 震中地名, locationc
id              id, eventid, 事件编号, 编号, 事件id, cataid
source          source, net, network, author, agency, 网络, 台网, 来源
event_type      eventtype, type, 事件类型 (天然地震 -> earthquake, ...)
status          status, evaluationmode, 状态 (自动/正式, automatic/manual)
strike/dip/rake strike, dip, rake, 走向, 倾角, 滑动角
==============  ==========================================================

Units in the header: ``深度(m)`` or ``depth(m)`` are metres (divided by
1000), anything else km. ``发震时刻(UTC+8)`` or ``time(UTC)`` set the zone
of that column.

CENC layouts supported out of the box (sources: the CENC data-share page
``data.earthquake.cn/datashare/globeEarthquake_csn.html`` as scraped in a
public pandas tutorial, and the ``news.ceic.ac.cn`` quick-report list as
exported by several public scrapers):

* ``发震日期,发震时刻,纬度(°),经度(°),深度(km),震级,事件类型,参考地点`` with
  the magnitude written with its type ("Ms4.3", "ML1.2") and the time of day
  with tenths ("10:14:37.7");
* the same with ``震级类型`` + ``震级值`` (or ``震级单位`` + ``震级值``, the EQT
  naming) instead of ``震级``;
* ``震级(M),发震时刻(UTC+8),纬度(°),经度(°),深度(千米),参考位置`` with a full
  date-time in one column, and the raw JSON keys of that service
  (``M, O_TIME, EPI_LAT, EPI_LON, EPI_DEPTH, LOCATION_C, CATA_ID``).

Times without a zone are Beijing time (UTC+8, fixed) when the header is
Chinese, UTC when it is English (FDSN/USGS style); ``tz=`` overrides both.
Binary input that is not UTF-8 is read as GB18030 (Excel on Chinese
Windows writes GBK).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, tzinfo
from typing import IO, TYPE_CHECKING, Any

from catalog.formats.rows import (
    BEIJING,
    DEPTH_RANGE_KM,
    LATITUDE_RANGE,
    LONGITUDE_RANGE,
    MAGNITUDE_RANGE,
    BadValueError,
    EventRow,
    FormatError,
    ReadResult,
    RowError,
    clean_text,
    iter_text_lines,
    parse_date_and_clock,
    parse_datetime,
    parse_float,
    resolve_tz,
)
from catalog.quick_report import normalise_magnitude_type

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

__all__ = ["CSV_FIELDS", "EVENT_TYPES_ZH", "CsvLayout", "csv_layout", "read_csv"]

_ALIASES: dict[str, tuple[str, ...]] = {
    "time": ("time", "origintime", "datetime", "eventtime", "otime", "utctime",
             "发震时刻", "发震时间", "时间", "发震日期时间"),
    "date": ("date", "origindate", "eventdate", "发震日期", "日期"),
    "latitude": ("lat", "latitude", "evla", "epilat", "纬度", "震中纬度"),
    "longitude": ("lon", "long", "lng", "longitude", "evlo", "epilon", "经度",
                  "震中经度"),
    "depth": ("depth", "dep", "depthkm", "evdp", "epidepth", "深度", "震源深度"),
    "magnitude": ("mag", "magnitude", "震级", "震级值", "magvalue"),
    "magnitude_type": ("magtype", "magnitudetype", "震级类型", "震级单位",
                       "震级类别"),
    "location": ("place", "location", "locationname", "eventlocationname",
                 "region", "参考地点", "参考位置", "地点", "地名", "位置",
                 "震中地名", "震中位置", "locationc"),
    "id": ("id", "eventid", "事件编号", "编号", "事件id", "cataid", "eventno"),
    "source": ("source", "net", "network", "author", "agency", "网络", "台网",
               "来源", "测定机构"),
    "event_type": ("eventtype", "type", "事件类型"),
    "status": ("status", "evaluationmode", "状态", "测定类型"),
    "catalog": ("catalog", "目录"),
    "contributor": ("contributor",),
    "strike": ("strike", "走向", "strike1"),
    "dip": ("dip", "倾角", "dip1"),
    "rake": ("rake", "滑动角", "rake1"),
}  # fmt: skip

#: The canonical field names ``mapping=`` accepts.
CSV_FIELDS = tuple(_ALIASES)

_MAG_TYPE_HEADERS = ("m", "ml", "ms", "mw", "mww", "mb", "md", "mc", "msbb", "mbb")

#: 事件类型 in CENC catalogues to QuakeML event types.
EVENT_TYPES_ZH = {
    "天然地震": "earthquake",
    "地震": "earthquake",
    "爆破": "explosion",
    "人工爆破": "explosion",
    "疑爆": "explosion",
    "塌陷": "collapse",
    "矿震": "induced or triggered event",
    "诱发地震": "induced or triggered event",
    "滑坡": "landslide",
    "核爆": "nuclear explosion",
}

_STATUS = {
    "自动": ("automatic", None),
    "automatic": ("automatic", None),
    "a": ("automatic", None),
    "正式": ("manual", "reviewed"),
    "人工": ("manual", None),
    "manual": ("manual", None),
    "m": ("manual", None),
    "reviewed": ("manual", "reviewed"),
    "preliminary": (None, "preliminary"),
    "final": ("manual", "final"),
}

#: 状态 / evaluation-mode words (lower case) -> (evaluation mode, evaluation status).
STATUS_WORDS = _STATUS

_MAG_VALUE_RE = re.compile(r"^\s*(?P<type>[A-Za-z][A-Za-z_]{0,4})?\s*(?P<value>[-+]?\d+(?:\.\d+)?)\s*$")
_CJK_RE = re.compile(r"[\u4e00-\u9fff]")
_UNIT_RE = re.compile(r"^(?P<name>.*?)\s*[(\[（]\s*(?P<unit>[^)\]）]*)\s*[)\]）]\s*$")
_MAX_HEADER_SEARCH = 10
#: A depth column in these units holds metres.
_METRE_UNITS = ("m", "米", "metres", "meters")
#: Raw field names of the news.ceic.ac.cn service, whose times are Beijing time.
_CEIC_KEYS = frozenset({"otime", "epilat", "epilon", "epidepth", "locationc", "cataid"})


@dataclass(frozen=True, slots=True)
class _Column:
    index: int
    header: str  # as written
    unit: str  # lower-case unit from the header, "" when none


def _split_header(header: str) -> tuple[str, str]:
    text = unicodedata.normalize("NFKC", header).strip().strip('"').lstrip("#").strip().lower()
    unit = ""
    match = _UNIT_RE.match(text)
    if match:
        text, unit = match.group("name"), match.group("unit").strip()
    elif "/" in text:
        name, _, maybe_unit = text.rpartition("/")
        if maybe_unit in ("km", "m", "deg", "degree", "degrees", "°"):
            text, unit = name, maybe_unit
    key = re.sub(r"[\s_\-.#]", "", text)
    return key, unit


def _map_columns(
    headers: list[str], mapping: Mapping[str, str] | None
) -> tuple[dict[str, _Column], str | None]:
    """Return {field: column} and the magnitude type implied by a header."""
    columns: dict[str, _Column] = {}
    implied_type: str | None = None
    split = [_split_header(h) for h in headers]
    lookup = {alias: field for field, aliases in _ALIASES.items() for alias in aliases}
    for index, (key, unit) in enumerate(split):
        field = lookup.get(key)
        if field is None and key in _MAG_TYPE_HEADERS:
            field = "magnitude"
            implied_type = normalise_magnitude_type(key)
        if field == "magnitude" and unit and unit.lower() in _MAG_TYPE_HEADERS:
            implied_type = normalise_magnitude_type(unit)
        if field is not None and field not in columns:
            columns[field] = _Column(index, headers[index].strip(), unit)
    for field, header in (mapping or {}).items():
        if field not in _ALIASES:
            raise FormatError(f"mapping names an unknown field '{field}'; known: {', '.join(CSV_FIELDS)}")
        wanted = header.strip()
        matches = [i for i, h in enumerate(headers) if h.strip() == wanted]
        if not matches:
            wanted_key = _split_header(wanted)[0]
            matches = [i for i, (k, _) in enumerate(split) if k == wanted_key]
        if not matches:
            raise FormatError(
                f"mapping: column '{header}' for {field} is not in the header "
                f"({', '.join(h.strip() for h in headers)})",
                line=1,
            )
        index = matches[0]
        columns[field] = _Column(index, headers[index].strip(), split[index][1])
    return columns, implied_type


def _sniff_delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _usable(columns: Mapping[str, _Column]) -> bool:
    return ("time" in columns or "date" in columns) and "latitude" in columns and "longitude" in columns


@dataclass(frozen=True)
class CsvLayout:
    """What a table's header says: where each field is, the zone of its times, the
    delimiter. Read once by :func:`csv_layout`; every data row is read against it."""

    headers: tuple[str, ...]
    columns: Mapping[str, _Column]
    implied_type: str | None
    default_tz: tzinfo
    explicit_tz: str | tzinfo | None
    default_magnitude_type: str | None
    sep: str
    header_line: int
    #: A data row needs at least this many columns.
    needed: int

    def index(self, field: str) -> int | None:
        """The column (from 0) that holds ``field``, None when the table has none."""
        column = self.columns.get(field)
        return None if column is None else column.index

    def time_zone(self) -> tzinfo:
        """The zone of the times written without one."""
        time_col = self.columns.get("time")
        column = time_col or self.columns["date"]
        return _column_tz(column, self.default_tz, self.explicit_tz)

    def depth_in_metres(self) -> bool:
        column = self.columns.get("depth")
        return column is not None and column.unit in _METRE_UNITS

    def rows(self, lines: Iterable[str], after_line: int) -> Iterator[ReadResult]:
        """The rows of ``lines``, the table's text after its line ``after_line``."""
        reader = csv.reader(lines, delimiter=self.sep)
        previous_end = 0
        for fields in _csv_rows(reader, after_line):
            start = after_line + previous_end + 1
            previous_end = reader.line_num
            result = self.record(fields, start)
            if result is not None:
                yield result

    def line(self, text: str, line: int) -> ReadResult | None:
        """One physical line holding one whole row (no quoted line break), read as
        :meth:`rows` reads it; None for a line it skips (blank, a comment)."""
        try:
            fields = next(csv.reader([text], delimiter=self.sep), [])
        except csv.Error as problem:
            raise _format_error(problem, line) from None
        return self.record(fields, line)

    def record(self, fields: list[str], line: int) -> ReadResult | None:
        """The row a record's fields give, starting at ``line``; None when skipped."""
        if not fields or all(not f.strip() for f in fields) or fields[0].lstrip().startswith("#"):
            return None
        if len(fields) < self.needed:
            return RowError(line, f"expected at least {self.needed} columns, found {len(fields)}")
        try:
            return _row(
                fields,
                self.columns,
                self.implied_type,
                self.default_tz,
                self.default_magnitude_type,
                line,
                self.explicit_tz,
            )
        except BadValueError as problem:
            column = self.columns.get(problem.column)
            return RowError(line, problem.reason, column.header if column else problem.column)


def csv_layout(
    lines: Iterator[str],
    *,
    mapping: Mapping[str, str] | None = None,
    tz: str | tzinfo | None = None,
    delimiter: str | None = None,
    default_magnitude_type: str | None = None,
) -> CsvLayout:
    """Find the header in ``lines`` (text lines, the file's first) and read it; the
    iterator is left just after the header line. Raises FormatError without one."""
    line_no = 0
    headers: list[str] | None = None
    first_seen: list[str] | None = None
    columns: dict[str, _Column] = {}
    implied_type: str | None = None
    sep = delimiter
    for line in lines:
        line_no += 1
        if not line.strip():
            continue
        sep = delimiter or _sniff_delimiter(line)
        try:
            candidate = next(csv.reader([line], delimiter=sep))
        except csv.Error as problem:
            raise _format_error(problem, line_no) from None
        first_seen = first_seen or candidate
        columns, implied_type = _map_columns(candidate, mapping)
        if _usable(columns):
            headers = candidate
            break
        if line_no >= _MAX_HEADER_SEARCH:
            break
    if headers is None or sep is None:
        seen = ", ".join(h.strip() for h in first_seen or [])
        raise FormatError(
            "no header row with a time, a latitude and a longitude column was found "
            f"(columns seen: {seen or 'none'})",
            line=1,
        )
    header_line = line_no
    chinese = any(_CJK_RE.search(h) for h in headers) or any(
        _split_header(h)[0] in _CEIC_KEYS for h in headers
    )
    default_tz = resolve_tz(tz, BEIJING if chinese else UTC)
    if "magnitude" not in columns:
        raise FormatError(
            f"the header has no magnitude column (columns: {', '.join(h.strip() for h in headers)})",
            line=header_line,
        )
    return CsvLayout(
        headers=tuple(headers),
        columns=columns,
        implied_type=implied_type,
        default_tz=default_tz,
        explicit_tz=tz,
        default_magnitude_type=default_magnitude_type,
        sep=sep,
        header_line=header_line,
        needed=max(col.index for col in columns.values()) + 1,
    )


def read_csv(
    fileobj: IO[Any] | Iterable[Any],
    *,
    mapping: Mapping[str, str] | None = None,
    tz: str | tzinfo | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    default_magnitude_type: str | None = None,
) -> Iterator[ReadResult]:
    """Yield an EventRow or a RowError for each data row of a catalogue table.

    ``fileobj`` is a text or binary file-like object (or any iterable of
    lines); it is read line by line, never whole. ``mapping`` maps a field
    name (see ``CSV_FIELDS``) to the header of the column that holds it,
    overriding the automatic matching. ``tz`` is the zone of times written
    without one (default: Beijing for Chinese headers, else UTC).

    The header is the first line (within the first ten) whose columns give a
    time and both coordinates; lines before it are skipped (export titles).
    Raises FormatError when no such header exists; every bad data row is a
    RowError("line N: <field> '<value>' ...") and reading goes on.
    """
    lines = iter_text_lines(fileobj, encoding)
    layout = csv_layout(
        lines, mapping=mapping, tz=tz, delimiter=delimiter, default_magnitude_type=default_magnitude_type
    )
    yield from layout.rows(lines, layout.header_line)


def _format_error(problem: csv.Error, line: int) -> FormatError:
    """The csv module's refusal as a FormatError naming the line (the file is not stored)."""
    text = str(problem)
    if "field larger than field limit" in text:
        limit = csv.field_size_limit()
        return FormatError(
            f"a field is longer than {limit} characters ({limit // 1024} KiB); "
            "is a quote left open or is this not a table?",
            line=line,
        )
    return FormatError(f"not a readable table row: {text}", line=line)


def _csv_rows(reader: Any, after_line: int) -> Iterator[list[str]]:
    """The reader's rows; its errors (a field over the size limit...) become FormatError
    naming the line the broken row starts on (where an open quote would be)."""
    read_up_to = 0
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as problem:
            raise _format_error(problem, after_line + read_up_to + 1) from None
        read_up_to = reader.line_num
        yield fields


def _column_tz(column: _Column, default: tzinfo, explicit: str | tzinfo | None) -> tzinfo:
    if explicit is not None or not column.unit:
        return default
    unit = column.unit.replace(" ", "")
    if unit in ("utc", "gmt", "utc+0", "utc+00:00"):
        return UTC
    if unit in ("utc+8", "utc+08", "utc+08:00", "北京时间", "bjt"):
        return BEIJING
    return default


def _row(
    fields: list[str],
    columns: Mapping[str, _Column],
    implied_type: str | None,
    default_tz: tzinfo,
    default_magnitude_type: str | None,
    line: int,
    explicit_tz: str | tzinfo | None,
) -> EventRow:
    def get(field: str) -> str:
        column = columns.get(field)
        return fields[column.index].strip() if column is not None else ""

    time_col = columns.get("time")
    if "date" in columns:
        tz = _column_tz(time_col or columns["date"], default_tz, explicit_tz)
        if time_col is not None and get("time"):
            if re.match(r"^\s*\d{4}[-/.]", get("time")):
                origin_time = parse_datetime(get("time"), default_tz=tz, column="time")
            else:
                origin_time = parse_date_and_clock(get("date"), get("time"), default_tz=tz, column="time")
        else:
            origin_time = parse_datetime(get("date"), default_tz=tz, column="time")
    else:
        if time_col is None or not get("time"):
            raise BadValueError("time", "time is empty")
        origin_time = parse_datetime(
            get("time"),
            default_tz=_column_tz(time_col, default_tz, explicit_tz),
            column="time",
        )

    latitude = parse_float(get("latitude"), column="latitude", value_range=LATITUDE_RANGE)
    longitude = parse_float(get("longitude"), column="longitude", value_range=LONGITUDE_RANGE)
    depth = None
    if "depth" in columns:
        raw_depth = get("depth")
        depth = parse_float(raw_depth, column="depth", required=False)
        if depth is not None and columns["depth"].unit in _METRE_UNITS:
            depth /= 1000.0
        if depth is not None and not DEPTH_RANGE_KM[0] <= depth <= DEPTH_RANGE_KM[1]:
            raise BadValueError(
                "depth",
                f"depth '{raw_depth}' is out of range {DEPTH_RANGE_KM[0]:g}..{DEPTH_RANGE_KM[1]:g} km",
            )

    raw_mag = get("magnitude")
    match = _MAG_VALUE_RE.match(raw_mag)
    if not raw_mag:
        raise BadValueError("magnitude", "magnitude is empty")
    if match is None:
        raise BadValueError("magnitude", f"magnitude '{raw_mag}' is not a number")
    magnitude = parse_float(match.group("value"), column="magnitude", value_range=MAGNITUDE_RANGE)
    magnitude_type = clean_text(get("magnitude_type"))
    if magnitude_type is None and match.group("type"):
        magnitude_type = match.group("type")
    magnitude_type = magnitude_type or implied_type or default_magnitude_type
    if magnitude_type is not None:
        magnitude_type = normalise_magnitude_type(magnitude_type)

    event_type = clean_text(get("event_type"))
    if event_type is not None:
        event_type = EVENT_TYPES_ZH.get(event_type, event_type)
    mode, status = _STATUS.get((clean_text(get("status")) or "").lower(), (None, None))

    def angle(field: str, low: float, high: float) -> float | None:
        if field not in columns:
            return None
        return parse_float(get(field), column=field, value_range=(low, high), required=False)

    return EventRow(
        origin_time=origin_time,
        latitude=latitude,  # type: ignore[arg-type]
        longitude=longitude,  # type: ignore[arg-type]
        depth_km=depth,
        magnitude=magnitude,
        magnitude_type=magnitude_type,
        location_name=get("location"),
        public_id=clean_text(get("id")),
        source=clean_text(get("source")),
        catalog=clean_text(get("catalog")),
        contributor=clean_text(get("contributor")),
        event_type=event_type,
        evaluation_mode=mode,
        evaluation_status=status,
        strike=angle("strike", 0.0, 360.0),
        dip=angle("dip", 0.0, 90.0),
        rake=angle("rake", -180.0, 180.0),
        line=line,
    )
