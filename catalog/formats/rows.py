"""What the catalog readers yield, and the helpers they share.

Readers are generators of ``EventRow | RowError``: a bad row becomes a
``RowError`` and reading goes on. A file that cannot be read at all (no
header, missing required columns, broken XML) raises ``FormatError``.
"""

from __future__ import annotations

import codecs
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import IO, TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

#: Beijing time as Chinese catalogues use it: UTC+8 all year. Not
#: ``ZoneInfo("Asia/Shanghai")``, which applies the 1986-1991 summer time.
BEIJING = timezone(timedelta(hours=8), "UTC+08:00")

LATITUDE_RANGE = (-90.0, 90.0)
LONGITUDE_RANGE = (-180.0, 180.0)
#: Depths above sea level (negative) occur in real catalogues (USGS has
#: events at -3 km); anything outside this is a typo.
DEPTH_RANGE_KM = (-10.0, 800.0)
MAGNITUDE_RANGE = (-2.0, 10.0)


class FormatError(ValueError):
    """The whole input cannot be read (not a single bad row)."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass(frozen=True, slots=True)
class RowError:
    """A row that could not be read; ``line`` is 1-based, the header is line 1.

    For QuakeML ``line`` is the line of the <event> element (or None).
    """

    line: int | None
    reason: str
    column: str | None = None

    def __str__(self) -> str:
        return self.reason if self.line is None else f"line {self.line}: {self.reason}"


@dataclass(frozen=True, slots=True)
class EventRow:
    """One event as read from a catalogue file."""

    origin_time: datetime  # aware, UTC
    latitude: float
    longitude: float
    depth_km: float | None
    magnitude: float | None
    magnitude_type: str | None = None
    location_name: str = ""
    public_id: str | None = None
    source: str | None = None  # author / agency / network
    catalog: str | None = None
    contributor: str | None = None
    contributor_id: str | None = None
    magnitude_author: str | None = None
    event_type: str | None = None  # QuakeML event type, e.g. "earthquake"
    evaluation_mode: str | None = None  # "manual" | "automatic"
    evaluation_status: str | None = None  # "preliminary", "reviewed", ...
    strike: float | None = None  # nodal plane 1, degrees
    dip: float | None = None
    rake: float | None = None
    line: int | None = None  # where the row started in the input


ReadResult = EventRow | RowError


class BadValueError(ValueError):
    """Raised inside a reader for one bad value; becomes a RowError."""

    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason


# ---------------------------------------------------------------- input lines


def iter_text_lines(
    fileobj: IO[Any] | Iterable[Any], encoding: str | None, *, start: bool = True, first_line: int = 1
) -> Iterator[str]:
    """Yield text lines from a text or binary file-like object, one at a time.

    Binary input is decoded line by line: with ``encoding`` when given,
    otherwise UTF-8 (a BOM is dropped) falling back to GB18030 (a superset of
    GBK/GB2312, what Chinese Excel writes) from the first line that is not
    UTF-8 on. ``start=False`` reads on from the middle of a file (line
    ``first_line``): no BOM is looked for.
    """
    chosen = encoding
    first = start
    for number, raw in enumerate(fileobj, start=first_line):
        # A NUL byte means a binary or corrupted file; PostgreSQL text cannot store one
        # either, so the file is refused here, at the line, not by the database later.
        if ("\x00" if isinstance(raw, str) else b"\x00") in raw:
            raise FormatError("the file contains a NUL byte (binary or corrupted data)", line=number)
        if isinstance(raw, str):
            line = raw
        elif chosen is not None:
            line = raw.decode(chosen, errors="replace")
        else:
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                chosen = "gb18030"
                line = raw.decode(chosen, errors="replace")
        if first:
            line = line.removeprefix(codecs.BOM_UTF8.decode("utf-8"))
            first = False
        yield line


# ---------------------------------------------------------------- values


_DATETIME_RE = re.compile(
    r"""^\s*
    (?P<year>\d{4})[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})
    (?:[T\s]+
        (?P<hour>\d{1,2}):(?P<minute>\d{1,2})
        (?::(?P<second>\d{1,2})(?:\.(?P<fraction>\d+))?)?
    )?
    \s*(?P<zone>Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?
    \s*$""",
    re.VERBOSE | re.IGNORECASE,
)
_CLOCK_RE = re.compile(
    r"^\s*(?P<hour>\d{1,2}):(?P<minute>\d{1,2})(?::(?P<second>\d{1,2})"
    r"(?:\.(?P<fraction>\d+))?)?\s*$"
)


def _zone(text: str | None, default: tzinfo) -> tzinfo:
    if not text:
        return default
    text = text.upper()
    if text in ("Z", "UTC", "GMT"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _micro(fraction: str | None) -> int:
    return int((fraction or "").ljust(6, "0")[:6])


def parse_datetime(text: str, *, default_tz: tzinfo, column: str) -> datetime:
    """Parse "YYYY-MM-DD[ T]HH:MM[:SS[.f]][zone]" (or date only) to aware UTC.

    A value without zone is in ``default_tz``.
    """
    match = _DATETIME_RE.match(text)
    if match is None:
        raise BadValueError(column, f"{column} '{text}' is not a date-time")
    g = match.groupdict()
    try:
        value = datetime(
            int(g["year"]),
            int(g["month"]),
            int(g["day"]),
            int(g["hour"] or 0),
            int(g["minute"] or 0),
            int(g["second"] or 0),
            _micro(g["fraction"]),
            tzinfo=_zone(g["zone"], default_tz),
        )
    except ValueError as exc:
        raise BadValueError(column, f"{column} '{text}' is not a valid date-time ({exc})") from None
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01 in UTC+8, or 9999-12-31 west of UTC: no such UTC date
        raise BadValueError(column, f"{column} '{text}' is outside the years 1 to 9999 in UTC") from None


def parse_date_and_clock(date_text: str, clock_text: str, *, default_tz: tzinfo, column: str) -> datetime:
    """Join a date column and a time-of-day column (CENC: 发震日期 + 发震时刻)."""
    clock = _CLOCK_RE.match(clock_text)
    if clock is None:
        raise BadValueError(column, f"{column} '{clock_text}' is not a time of day")
    return parse_datetime(
        f"{date_text.strip()} {clock_text.strip()}",
        default_tz=default_tz,
        column=column,
    )


def parse_float(
    text: str,
    *,
    column: str,
    value_range: tuple[float, float] | None = None,
    required: bool = True,
) -> float | None:
    """Parse a number; empty gives None unless ``required``; range checked."""
    text = text.strip()
    if not text or text.lower() in ("nan", "null", "none", "-", "--"):
        if required:
            raise BadValueError(column, f"{column} is empty")
        return None
    try:
        value = float(text)
    except ValueError:
        raise BadValueError(column, f"{column} '{text}' is not a number") from None
    if not math.isfinite(value):
        raise BadValueError(column, f"{column} '{text}' is not a finite number")
    if value_range is not None:
        low, high = value_range
        if not low <= value <= high:
            raise BadValueError(column, f"{column} '{text}' is out of range {low:g}..{high:g}")
    return value


def resolve_tz(tz: str | tzinfo | None, default: tzinfo) -> tzinfo:
    """``None`` gives ``default``; "Asia/Shanghai", "Beijing", "UTC+8" give
    :data:`BEIJING` (fixed UTC+8); other names go to ``ZoneInfo``.
    """
    if tz is None:
        return default
    if not isinstance(tz, str):
        return tz
    if tz.strip().lower() in (
        "asia/shanghai",
        "beijing",
        "utc+8",
        "utc+08:00",
        "+08:00",
        "prc",
    ):
        return BEIJING
    if tz.strip().upper() in ("UTC", "Z", "GMT"):
        return UTC
    return ZoneInfo(tz)


def clean_text(value: str | None) -> str | None:
    """Strip; empty gives None."""
    if value is None:
        return None
    value = value.strip()
    return value or None
