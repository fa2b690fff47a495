"""What every series reader shares: the parsed file, the error naming its line, and the
checks of the raw bytes (NUL bytes, encoding) and of the timestamps' order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
PROGRESS_EVERY = 20_000  # lines between two progress calls
Progress = Callable[[float], None]


class FormatError(ValueError):
    """The file cannot be imported; ``line`` (1-based) says where, when it is known."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line
        self.message = message


@dataclass(frozen=True)
class ColumnRef:
    """How a column names its channel: a channel id, or station code + item code
    (+ orientation); ``label`` is the column's heading as written, ``line`` its line."""

    label: str
    line: int
    channel_id: int | None = None
    station: str = ""
    item: str = ""
    orientation: str = ""


@dataclass
class ParsedFile:
    columns: list[ColumnRef]
    times: np.ndarray  # int64 Unix seconds, one per data line, strictly increasing
    lines: np.ndarray  # int64 line number of each data line
    values: np.ndarray  # float64 (data lines, columns), NaN for missing
    # the interval the file declares (IAGA-2002 "Data Interval Type"), with its line
    declared_interval: int | None = None
    declared_line: int | None = None
    notes: list[str] = field(default_factory=list)


def read_text(data: bytes) -> list[str]:
    """The file's lines as text: UTF-8 (a BOM is dropped); NUL bytes and other encodings
    are refused naming the line."""
    if b"\x00" in data:
        raise FormatError(
            "the file contains a NUL byte (binary data, or UTF-16)",
            line=data[: data.index(b"\x00")].count(b"\n") + 1,
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(
            "the file is not UTF-8 text (save it as UTF-8)", line=data[: exc.start].count(b"\n") + 1
        ) from None
    return text.splitlines()


def parse_time(text: str, line: int) -> int:
    """ISO 8601 date-time (naive = UTC) → Unix seconds; whole seconds only."""
    try:
        when = dt.datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    except ValueError:
        raise FormatError(f"{text.strip()[:40]!r} is not an ISO 8601 date-time", line=line) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    if when.microsecond:
        raise FormatError(f"{text.strip()[:40]!r} is not on a whole second", line=line)
    return int((when - EPOCH).total_seconds())


def check_order(times: np.ndarray, lines: np.ndarray) -> None:
    """Strictly increasing timestamps; the first one out of order is named with its line."""
    if times.size > 1:
        bad = np.flatnonzero(np.diff(times) <= 0)
        if bad.size:
            i = int(bad[0]) + 1
            raise FormatError(
                f"timestamp out of order: not after the one on line {int(lines[i - 1])}", line=int(lines[i])
            )


def parse_float(text: str, line: int, label: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise FormatError(f"{text[:30]!r} in column {label} is not a number", line=line) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise FormatError(f"{text[:30]!r} in column {label} is not a finite number", line=line)
    return value
