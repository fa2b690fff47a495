"""Catalog imports, the CSV fast path (issue 18): PostgreSQL converts the lines.

Python reads the header (:class:`catalog.formats.CsvLayout`). A thread then reads the
lines a block ahead of the writer and checks each against one strict pattern built from
the header (a compiled regular expression, C speed); for the lines it takes, it appends
the event's public id (make_public_id's SHA-1 key, from the time and coordinates as
written). The writer copies the lines as they are into a temporary table of text columns
(``COPY ... (FORMAT csv)``), and one statement converts them into the staging table of
:mod:`catalog.services.import_batches` (casts, range checks, the zone) and returns the
lines it refused. The lines the pattern does not take and those the database refused
are read by the Python reader, one at a time, exactly as before: their rows, errors,
messages and line numbers are the reader's own. No Python object is made per ordinary
row (before: 40 µs a row in the reader and the checks, more than the database's insert).

The pattern takes only what the SQL converts exactly as the Python reader would (anything
else is simply left to the reader):

* the time ``YYYY-MM-DD[T ]HH:MM:SS[.f{1,6}][Z|±HH:MM]`` (or ``YYYY-MM-DD`` and
  ``HH:MM:SS[.f]`` in a date and a time column), real dates only (29 February of leap
  years), in a fixed zone, the years 1000-9999 in UTC;
* numbers as plain decimals (``-?digits[.digits]``; PostgreSQL and Python read a decimal
  to the same float), within the reader's ranges (checked in SQL);
* magnitude types, statuses: ASCII words (lower-casing agrees) or the Chinese statuses;
* text fields without surrounding white space (the reader strips it: Python's idea of
  white space is not PostgreSQL's), not starting a comment (``#``) in the first column;
* exactly as many fields as the header has.

A block with a double quote (a quoted field may hold the delimiter or a line break), a
NUL, a lone carriage return or bytes that are not UTF-8 ends the fast path: the rest of
the file goes through the reader. tests/catalog/test_import_fast_path.py imports edge
lines both ways and compares what is stored.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import chain, islice
from typing import IO, TYPE_CHECKING

from django.db import connection, reset_queries

from catalog.formats import RowError, csv_layout
from catalog.formats.csv_reader import EVENT_TYPES_ZH, STATUS_WORDS
from catalog.formats.rows import (
    DEPTH_RANGE_KM,
    LATITUDE_RANGE,
    LONGITUDE_RANGE,
    MAGNITUDE_RANGE,
    iter_text_lines,
)
from catalog.models import EventStatus, ReportKind
from catalog.quick_report import MAGNITUDE_TYPE_SPELLINGS, normalise_magnitude_type

from .events import public_id_at
from .import_batches import STAGE, STAGE_COLUMNS
from .import_rows import FUTURE_TOLERANCE, CountingLines, read_ahead, row_solution, write_rows

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterator

    from catalog.formats import CsvLayout, ReadResult

    from .events import Solution
    from .import_batches import Batch, ImportSummary

LINES = "catalog_import_lines"

_YEAR = r"[1-9][0-9]{3}"
_MONTH_DAY = (
    r"(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])"
    r"|(?:0[13-9]|1[0-2])-(?:29|30)"
    r"|(?:0[13578]|1[02])-31)"
)
_LEAP_YEAR = r"(?:[1-9][0-9](?:0[48]|[2468][048]|[13579][26])|(?:[2468][048]|[13579][26])00)"
_DATE = rf"(?:{_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"
_CLOCK = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,6})?"
_ZONE = r"(?:Z|[+-](?:0[0-9]|1[0-3]):[0-5][0-9])"
_DATETIME = rf"{_DATE}[T ]{_CLOCK}{_ZONE}?"
_COORDINATE = r"-?[0-9]{1,3}(?:\.[0-9]{1,17})?"
_DEPTH = r"(?:-?[0-9]{1,4}(?:\.[0-9]{1,10})?)?"
_ANGLE = r"(?:-?[0-9]{1,3}(?:\.[0-9]{1,10})?)?"
_MAG_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"
_MAGNITUDE = r"(?:[A-Za-z][A-Za-z_]{0,4})?-?[0-9]{1,2}(?:\.[0-9]{1,10})?"
_WORD = r"[A-Za-z0-9_]{1,32}"

#: The fields this path converts; a header mapping any other (none today) keeps the reader.
_FIELDS = frozenset(
    {
        "time", "date", "latitude", "longitude", "depth", "magnitude", "magnitude_type",
        "location", "id", "source", "contributor", "catalog", "event_type", "status",
        "strike", "dip", "rake",
    }
)  # fmt: skip

_NO_SHIFT = timedelta(0)


def _literal(text: str) -> str:
    """A constant of this module's tables as an SQL string literal (standard_conforming_strings)
    in a statement run with parameters (a "%" doubled)."""
    return "'" + text.replace("'", "''").replace("%", "%%") + "'"


def _magnitude_type_sql(raw: str) -> str:
    """normalise_magnitude_type of an ASCII word, in SQL."""
    cases = " ".join(f"WHEN {_literal(k)} THEN {_literal(v)}" for k, v in MAGNITUDE_TYPE_SPELLINGS.items())
    return (
        f"CASE WHEN {raw} IN ('mb', 'mB') THEN {raw} ELSE coalesce(CASE lower({raw}) {cases} END, {raw}) END"
    )


@dataclass(frozen=True)
class CsvFastPath:
    """The strict line pattern of one table layout and the SQL that converts such lines."""

    layout: CsvLayout
    pattern: re.Pattern[str]
    columns: int
    convert_sql: str
    #: the zone of times written without one, as a shift from UTC
    offset: timedelta
    time: int
    date: int | None
    latitude: int
    longitude: int

    @classmethod
    def for_layout(cls, layout: CsvLayout) -> CsvFastPath | None:
        """The fast path for this header, or None when its rows must all go through the reader."""
        if not set(layout.columns) <= _FIELDS or "time" not in layout.columns:
            return None
        indexes = [column.index for column in layout.columns.values()]
        if len(set(indexes)) != len(indexes) or len(layout.sep) != 1 or layout.sep in '"\r\n':
            return None
        offset = layout.time_zone().utcoffset(None)
        if offset is None:  # a zone with summer time: left to the reader
            return None
        patterns = {
            "time": _CLOCK if "date" in layout.columns else _DATETIME,
            "date": _DATE,
            "latitude": _COORDINATE,
            "longitude": _COORDINATE,
            "depth": _DEPTH,
            "magnitude": _MAGNITUDE,
            "magnitude_type": f"(?:{_WORD})?",
            "status": "(?:"
            + "|".join([_WORD, *(re.escape(k) for k in STATUS_WORDS if not k.isascii())])
            + ")?",
            "strike": _ANGLE,
            "dip": _ANGLE,
            "rake": _ANGLE,
        }
        sep = re.escape(layout.sep)
        text = rf"(?:[^\s{sep}](?:[^{sep}]*[^\s{sep}])?)?"
        by_index = {column.index: name for name, column in layout.columns.items()}
        count = len(layout.headers)
        fields = []
        for index in range(count):
            name = by_index.get(index)
            if name is None or name == "catalog":
                fields.append(f"[^{sep}]*")
            else:
                fields.append(patterns.get(name, text))
        # The reader skips a line whose first field starts with "#" (a comment).
        pattern = re.compile(r"(?!\s*#)" + sep.join(fields))
        return cls(
            layout=layout,
            pattern=pattern,
            columns=count,
            convert_sql=_convert_sql(layout),
            offset=offset,
            time=layout.columns["time"].index,
            date=layout.index("date"),
            latitude=layout.columns["latitude"].index,
            longitude=layout.columns["longitude"].index,
        )

    @property
    def create_sql(self) -> list[str]:
        columns = ", ".join(f"c{i + 1} text" for i in range(self.columns)) + ", public_id text"
        return [
            # pg_temp: never a table of the schema that might have the same name
            f"DROP TABLE IF EXISTS pg_temp.{LINES}",
            f"CREATE TEMPORARY TABLE {LINES} (n int GENERATED ALWAYS AS IDENTITY, {columns}) ON COMMIT DROP",
        ]

    @property
    def copy_sql(self) -> str:
        columns = ", ".join(f"c{i + 1}" for i in range(self.columns)) + ", public_id"
        delimiter = "'" + self.layout.sep.replace("'", "''") + "'"  # (run without parameters)
        return f"COPY {LINES} ({columns}) FROM STDIN (FORMAT csv, DELIMITER {delimiter})"

    def bad_lines(self, lines: list[str]) -> list[int]:
        """Positions of the lines the pattern does not take (the reader reads those)."""
        match = self.pattern.fullmatch
        limit = csv.field_size_limit()
        if max(map(len, lines), default=0) > limit:
            # a field over the csv module's limit is a FormatError of the reader's
            return [i for i, line in enumerate(lines) if len(line) > limit or not match(line)]
        return [i for i, line in enumerate(lines) if not match(line)]

    def placeholder(self) -> str:
        """A line of empty fields (NULLs): keeps the numbering where a line is left to the reader."""
        return self.layout.sep * self.columns

    def copy_lines(self, lines: list[str], bureau_code: str) -> tuple[list[str], list[int]]:
        """The lines as copied (each with its event's public id appended, a placeholder where
        the reader reads the line) and the positions the reader reads."""
        bad = self.bad_lines(lines)
        skipped = set(bad)
        placeholder = self.placeholder()
        sep = self.layout.sep
        copied = []
        for position, line in enumerate(lines):
            if position not in skipped:
                try:
                    copied.append(f"{line}{sep}{self._public_id(line, bureau_code)}")
                    continue
                except (ValueError, OverflowError):  # out of the years 1000-9999 in UTC
                    bad.append(position)
            copied.append(placeholder)
        return copied, sorted(bad)

    def _public_id(self, line: str, bureau_code: str) -> str:
        """make_public_id of a line the pattern took, from its text: the time as the reader
        reads it (the pattern leaves only ISO 8601 with a zone or none), the coordinates as
        floats (PostgreSQL reads the same decimals to the same floats)."""
        fields = line.split(self.layout.sep)
        time = fields[self.time]
        shift = self.offset
        if self.date is not None:
            time = f"{fields[self.date]} {time}"
        elif time[-1] == "Z":
            time, shift = time[:-1], _NO_SHIFT
        elif time[-6] in "+-":
            sign = -1 if time[-6] == "-" else 1
            time, shift = time[:-6], sign * timedelta(hours=int(time[-5:-3]), minutes=int(time[-2:]))
        utc = datetime.fromisoformat(time) - shift
        if utc.year < 1000:
            raise ValueError("Python writes such a year without leading zeros in the id")
        iso = utc.isoformat(timespec="microseconds")
        moment = iso[0:4] + iso[5:7] + iso[8:10] + iso[11:13] + iso[14:16] + iso[17:19] + iso[20:26]
        return public_id_at(bureau_code, moment, float(fields[self.latitude]), float(fields[self.longitude]))

    def stage(self, batch: Batch, data: str, *, first_line: int, lines: int) -> list[int]:
        """Copy ``data`` (whole lines, the first being ``first_line``; ``lines`` of them not
        placeholders) and convert it into the staging table; returns the lines the database
        refused (a range, the future), in order."""
        batch.begin()
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {LINES} RESTART IDENTITY")
            with cursor.cursor.copy(self.copy_sql) as copy:
                copy.write(data.encode("utf-8"))
            cursor.execute(
                self.convert_sql,
                {
                    "base": first_line - 1,
                    "offset": self.offset.total_seconds(),  # whole minutes: exact
                    "future": FUTURE_TOLERANCE.total_seconds(),
                },
            )
            refused = sorted(line for (line,) in cursor.fetchall())
        batch.added(lines - len(refused))
        return refused


def _convert_sql(layout: CsvLayout) -> str:
    """The statement that converts the copied lines into staged rows (see the module docstring)."""

    def col(field: str) -> str:
        index = layout.index(field)
        return "NULL::text" if index is None else f"c{index + 1}"

    time, lat, lon, mag = col("time"), col("latitude"), col("longitude"), col("magnitude")
    if "date" in layout.columns:
        origin = f"(({col('date')} || ' ' || {time})::timestamp - make_interval(secs => %(offset)s)) AT TIME ZONE 'UTC'"
    else:
        origin = (
            f"CASE WHEN right({time}, 1) = 'Z' THEN left({time}, -1)::timestamp AT TIME ZONE 'UTC' "
            f"WHEN substr({time}, length({time}) - 5, 1) IN ('+', '-') THEN {time}::timestamptz "
            f"ELSE ({time}::timestamp - make_interval(secs => %(offset)s)) AT TIME ZONE 'UTC' END"
        )
    depth = f"{col('depth')}::float8" + (" / 1000.0" if layout.depth_in_metres() else "")
    value = f"ltrim({mag}, {_literal(_MAG_LETTERS)})"
    prefix = f"nullif(left({mag}, length({mag}) - length({value})), '')"
    implied = layout.implied_type or layout.default_magnitude_type
    fallback = _literal(normalise_magnitude_type(implied)) if implied is not None else "NULL"
    raw_type = f"coalesce({col('magnitude_type')}, {prefix})"
    magnitude_type = (
        f"left(coalesce(CASE WHEN {raw_type} IS NULL THEN {fallback} "
        f"ELSE {_magnitude_type_sql(raw_type)} END, 'M'), 8)"
    )
    event_types = " ".join(f"WHEN {_literal(k)} THEN {_literal(v)}" for k, v in EVENT_TYPES_ZH.items())
    event_type = f"left(coalesce(CASE {col('event_type')} {event_types} ELSE {col('event_type')} END, 'earthquake'), 40)"
    automatic = ", ".join(_literal(k) for k, (mode, _status) in STATUS_WORDS.items() if mode == "automatic")
    status = (
        f"CASE WHEN lower({col('status')}) IN ({automatic}) "
        f"THEN {_literal(EventStatus.AUTOMATIC)} ELSE {_literal(EventStatus.REVIEWED)} END"
    )

    def angle(field: str, low: float, high: float) -> tuple[str, str]:
        value = f"{col(field)}::float8"
        return value, f"({field} IS NULL OR {field} BETWEEN {low} AND {high})"

    (strike, strike_ok), (dip, dip_ok), (rake, rake_ok) = (
        angle("strike", 0.0, 360.0),
        angle("dip", 0.0, 90.0),
        angle("rake", -180.0, 180.0),
    )
    stage_columns = ", ".join(name for name, _kind in STAGE_COLUMNS)
    # Names and constants of this module only; the values are parameters.
    return f"""
WITH checked AS MATERIALIZED (
    SELECT converted.*, coalesce(
        latitude BETWEEN {LATITUDE_RANGE[0]} AND {LATITUDE_RANGE[1]}
        AND longitude BETWEEN {LONGITUDE_RANGE[0]} AND {LONGITUDE_RANGE[1]}
        AND (depth_km IS NULL OR depth_km BETWEEN {DEPTH_RANGE_KM[0]} AND {DEPTH_RANGE_KM[1]})
        AND magnitude BETWEEN {MAGNITUDE_RANGE[0]} AND {MAGNITUDE_RANGE[1]}
        AND {strike_ok} AND {dip_ok} AND {rake_ok}
        AND origin_time <= clock_timestamp() + make_interval(secs => %(future)s), false) AS ok
    FROM (
        -- OFFSET 0: each value converted once, not once per use in the checks
        SELECT n + %(base)s AS line, {origin} AS origin_time, public_id,
            {lat}::float8 AS latitude, {lon}::float8 AS longitude, {depth} AS depth_km,
            {value}::float8 AS magnitude, {magnitude_type} AS magnitude_type,
            left(coalesce({col("location")}, ''), 200) AS location_name,
            left(coalesce({col("source")}, {col("contributor")}, ''), 64) AS source,
            {event_type} AS event_type, {status} AS status,
            left(coalesce({col("id")}, ''), 128) AS external_id,
            {strike} AS strike, {dip} AS dip, {rake} AS rake
        FROM {LINES}
        WHERE {time} IS NOT NULL
        OFFSET 0
    ) converted
), staged AS (
    INSERT INTO {STAGE} ({stage_columns})
    SELECT line, public_id, external_id, origin_time, latitude, longitude, depth_km, magnitude,
        magnitude_type, location_name, source, event_type, status, {_literal(ReportKind.CATALOG)},
        strike, dip, rake, 'line ' || line
    FROM checked WHERE ok
)
SELECT line FROM checked WHERE NOT ok
"""  # noqa: S608


@dataclass
class _Checked:
    """Lines read and checked ahead of the writer: the line number of the first, their
    text, the same as copied (:meth:`CsvFastPath.copy_lines`), the positions the reader
    reads and its rows for those (positions it skips, a blank line or a comment, are
    absent)."""

    first: int
    lines: list[str]
    copied: list[str]
    bad: list[int]
    read: dict[int, ReadResult]


@dataclass
class _Rest:
    """The raw lines from ``first`` on that the fast path does not take: the rest of the file
    goes through the reader."""

    first: int
    block: list[bytes]


#: Lines the checking thread reads at a time.
_CHECK_LINES = 4096


def _text_lines(block: list[bytes]) -> list[str] | None:
    """The block's lines as text, or None where the fast path ends (see the module docstring)."""
    data = b"".join(block)
    if b'"' in data or b"\x00" in data:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\r" in text:
        if text.count("\r") != text.count("\r\n"):
            return None
        text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    return lines


def _checked(
    raw: Iterator[bytes], fast: CsvFastPath, first: int, bureau_code: str
) -> Iterator[_Checked | _Rest]:
    """The lines from ``first`` on, checked (pure: run in a thread while the database works)."""
    while True:
        block = list(islice(raw, _CHECK_LINES))
        if not block:
            return
        lines = _text_lines(block)
        if lines is None:
            yield _Rest(first, block)
            return
        copied, bad = fast.copy_lines(lines, bureau_code)
        read = {}
        for position in bad:
            result = fast.layout.line(lines[position], first + position)
            if result is not None:
                read[position] = result
        yield _Checked(first, lines, copied, bad, read)
        first += len(block)


def _utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def import_csv(
    batch: Batch,
    fileobj: IO[bytes],
    size: int,
    batch_size: int,
    progress: Callable[[ImportSummary], None] | None,
    *,
    fast_path: bool = True,
) -> None:
    """A CSV file into ``batch``: the header in Python, then the lines through the fast path
    (checked a block ahead in a thread) until a block it cannot take; the rest through the
    reader."""
    counting = CountingLines(fileobj)
    raw = iter(counting)
    header_raw: list[bytes] = []

    def recorded() -> Iterator[bytes]:
        for item in raw:
            header_raw.append(item)
            yield item

    text = iter_text_lines(recorded(), None)
    layout = csv_layout(text)

    def fraction(_row: object = None) -> float:
        return min(1.0, counting.consumed / max(1, size))

    fast = CsvFastPath.for_layout(layout) if fast_path else None
    # A header read as GB18030 keeps the reader's choice for the lines after it.
    if fast is None or not all(_utf8(line) for line in header_raw):
        rows = layout.rows(text, layout.header_line)
        write_rows(batch, rows, batch_size, progress, fraction, key_by_line=True)
        return
    with connection.cursor() as cursor:
        for statement in fast.create_sql:
            cursor.execute(statement)
    # a batch's worth of lines checked ahead: the thread works while the database does
    depth = batch_size // _CHECK_LINES + 2
    lines = _checked(raw, fast, layout.header_line + 1, batch.bureau.code)
    checked = read_ahead(lines, name="catalog-import-csv", depth=depth)
    try:
        rest = _write_lines(batch, fast, checked, batch_size, progress, fraction)
    finally:
        checked.close()  # the thread stops
    if rest is not None:
        tail = iter_text_lines(chain(rest.block, raw), None, start=False, first_line=rest.first)
        write_rows(batch, layout.rows(tail, rest.first - 1), batch_size, progress, fraction, key_by_line=True)


def _write_lines(
    batch: Batch,
    fast: CsvFastPath,
    checked: Generator[_Checked | _Rest],
    batch_size: int,
    progress: Callable[[ImportSummary], None] | None,
    fraction: Callable[[], float],
) -> _Rest | None:
    """Checked lines into batches, ``batch_size - batch.staged`` lines at a time (each gives
    at most one row, so the batches end where the reader's would); returns where the fast
    path ended, if it did before the end of the file."""
    current: _Checked | None = None
    offset = 0
    rest: _Rest | None = None
    ended = False
    while True:
        wanted = batch_size - batch.staged
        taken: list[tuple[_Checked, int, int]] = []
        count = 0
        while count < wanted and not ended:
            if current is None or offset == len(current.lines):
                item = next(checked, None)
                if item is None or isinstance(item, _Rest):
                    rest, ended = item, True
                    break
                current, offset = item, 0
            end = min(len(current.lines), offset + wanted - count)
            taken.append((current, offset, end))
            count += end - offset
            offset = end
        if taken:
            _stage_lines(batch, fast, taken)
        if batch.staged >= batch_size:
            batch.flush()
            reset_queries()
        elif count < wanted:
            return rest  # the end of the file or of the fast path
        # after a flush, and after each block on a long run of rejected lines: the
        # progress is the import's heartbeat (see HEARTBEAT_GRACE)
        batch.summary.fraction = fraction()
        if progress is not None:
            progress(batch.summary)


def _stage_lines(batch: Batch, fast: CsvFastPath, taken: list[tuple[_Checked, int, int]]) -> None:
    """Consecutive checked lines (slices of blocks) into the batch: the lines the pattern
    takes through the database, the rest (and those it refused) as the reader reads them."""
    first = taken[0][0].first + taken[0][1]
    lines: list[str] = []
    copied: list[str] = []
    bad = 0
    read: list[tuple[int, ReadResult]] = []
    for block, start, end in taken:
        lines += block.lines[start:end]
        copied += block.copied[start:end]
        for position in block.bad:
            if start <= position < end:
                bad += 1
                if position in block.read:
                    read.append((block.first + position, block.read[position]))
    good = len(lines) - bad
    refused = fast.stage(batch, "\n".join(copied), first_line=first, lines=good) if good else []
    for line in refused:
        result = fast.layout.line(lines[line - first], line)
        if result is not None:
            read.append((line, result))
    read.sort(key=lambda item: item[0])
    summary = batch.summary
    summary.rows_read += good - len(refused) + len(read)
    solutions: list[tuple[int, Solution, str]] = []
    for line, result in read:
        if isinstance(result, RowError):
            summary.reject(result.line, result.reason)
            continue
        try:
            solutions.append((line, row_solution(result), f"line {line}"))
        except (TypeError, ValueError) as problem:
            summary.reject(result.line, str(problem))
    batch.stage_solutions(solutions)
