"""CSV with a header row mapping columns to channels:

    time,<channel>,<channel>,...

``time`` is ISO 8601 (naive = UTC; ``Z`` or an offset may be given). A ``<channel>`` is a
channel id (``123``) or ``STATION:ITEM`` or ``STATION:ITEM:ORIENTATION`` (``JX001:WL``,
``JX002:TILT_NS:NS``). An empty cell is a gap. With the import's ``channel`` chosen, the
file may have a single value column with any heading (``time,value``).
"""

from __future__ import annotations

import csv

import numpy as np

from .common import (
    PROGRESS_EVERY,
    ColumnRef,
    FormatError,
    ParsedFile,
    Progress,
    check_order,
    parse_float,
    parse_time,
)


def _column(label: str, line: int) -> ColumnRef:
    text = label.strip()
    if text.isascii() and text.isdigit():
        return ColumnRef(label=text, line=line, channel_id=int(text))
    parts = text.split(":")
    if len(parts) in (2, 3) and all(parts[:2]):
        return ColumnRef(
            label=text,
            line=line,
            station=parts[0].upper(),
            item=parts[1].upper(),
            orientation=(parts[2] if len(parts) == 3 else "").upper(),
        )
    return ColumnRef(label=text, line=line)  # resolved only when the import names a channel


def parse(lines: list[str], progress: Progress | None = None) -> ParsedFile:
    reader = csv.reader(lines)
    try:
        heading = next(reader)
    except StopIteration:
        raise FormatError("the file is empty", line=1) from None
    if not heading or heading[0].strip().lower() not in ("time", "datetime", "timestamp"):
        raise FormatError("the first column of the header must be 'time'", line=1)
    if len(heading) < 2:
        raise FormatError("the header names no channel column", line=1)
    columns = [_column(label, 1) for label in heading[1:]]
    times: list[int] = []
    numbers: list[int] = []
    rows: list[list[float]] = []
    for cells in reader:
        number = reader.line_num
        if progress is not None and number % PROGRESS_EVERY == 0:
            progress(number / len(lines))
        if not cells or all(not c.strip() for c in cells):
            continue
        if len(cells) != len(heading):
            raise FormatError(f"{len(cells)} fields where the header has {len(heading)}", line=number)
        times.append(parse_time(cells[0], number))
        rows.append(
            [
                np.nan if not c.strip() else parse_float(c.strip(), number, col.label)
                for c, col in zip(cells[1:], columns, strict=True)
            ]
        )
        numbers.append(number)
    times_a = np.array(times, dtype=np.int64)
    lines_a = np.array(numbers, dtype=np.int64)
    check_order(times_a, lines_a)
    return ParsedFile(
        columns=columns,
        times=times_a,
        lines=lines_a,
        values=np.array(rows, dtype=np.float64).reshape(len(rows), len(columns)),
    )
