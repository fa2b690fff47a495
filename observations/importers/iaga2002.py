"""IAGA-2002, the geomagnetic exchange format (INTERMAGNET; IAGA Working Group V-DAT,
"IAGA-2002 Data Exchange Format"): header records of 70 characters ending in ``|``
(``Format``, ``IAGA CODE``, ``Reported``, ``Data Interval Type`` …), comment records
`` # …|``, the column heading ``DATE TIME DOY <CODE><E> … |`` and one data line per time:
``YYYY-MM-DD HH:MM:SS.sss DDD`` then one value per element. 99999 (missing) and 88888
(not computed, F) are gaps. Times are UTC.

Each element column maps to the channel of the station whose code is the IAGA code (or
the station chosen for the import) and the item ``GM_<element>`` (H, D, Z, F, X, Y …).
"""

from __future__ import annotations

import re

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

MISSING = (99999.0, 88888.0)
INTERVALS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
INTERVAL_RE = re.compile(r"1[- ]?(second|minute|hour|day)", re.IGNORECASE)


def parse(lines: list[str], progress: Progress | None = None) -> ParsedFile:
    header: dict[str, tuple[str, int]] = {}
    columns: list[ColumnRef] = []
    times: list[int] = []
    numbers: list[int] = []
    rows: list[list[float]] = []
    heading_line = 0
    for number, raw in enumerate(lines, start=1):
        if progress is not None and number % PROGRESS_EVERY == 0:
            progress(number / len(lines))
        line = raw.rstrip()
        if not line.strip():
            continue
        if not heading_line:
            if line.startswith(" #"):
                continue
            if line.upper().startswith("DATE"):
                heading_line = number
                parts = line.rstrip("|").split()
                if parts[:3] != ["DATE", "TIME", "DOY"] or len(parts) < 4:
                    raise FormatError(
                        "the column heading must be DATE TIME DOY then the elements", line=number
                    )
                code = header.get("IAGA CODE", ("", 0))[0].upper()
                if not code:
                    raise FormatError("the header has no IAGA CODE record", line=number)
                for label in parts[3:]:
                    if not label.upper().startswith(code) or len(label) <= len(code):
                        raise FormatError(
                            f"column {label} does not start with the IAGA code {code}", line=number
                        )
                    element = label[len(code) :].upper()
                    columns.append(ColumnRef(label=label, line=number, station=code, item=f"GM_{element}"))
                continue
            if not line.startswith(" ") or len(line) < 25:
                raise FormatError("not an IAGA-2002 header record", line=number)
            key, value = line[1:24].strip().upper(), line[24:].rstrip("|").strip()
            header[key] = (value, number)
            continue
        parts = line.split()
        if len(parts) != 3 + len(columns):
            raise FormatError(
                f"{len(parts)} fields where DATE TIME DOY and {len(columns)} values are expected", line=number
            )
        times.append(parse_time(f"{parts[0]}T{parts[1]}", number))
        values = []
        for label, text in zip((c.label for c in columns), parts[3:], strict=True):
            value = parse_float(text, number, label)
            values.append(np.nan if value in MISSING else value)
        rows.append(values)
        numbers.append(number)
    fmt = header.get("FORMAT", ("", 0))[0]
    if not fmt.upper().startswith("IAGA-2002"):
        raise FormatError(
            "the first header record must be 'Format IAGA-2002'", line=header.get("FORMAT", ("", 1))[1] or 1
        )
    if not heading_line:
        raise FormatError("no DATE TIME DOY column heading", line=len(lines) or 1)
    declared, declared_line = None, None
    if "DATA INTERVAL TYPE" in header:
        text, declared_line = header["DATA INTERVAL TYPE"]
        match = INTERVAL_RE.search(text)
        if match is None:
            raise FormatError(f"unknown data interval {text!r}", line=declared_line)
        declared = INTERVALS[match.group(1).lower()]
    times_a = np.array(times, dtype=np.int64)
    lines_a = np.array(numbers, dtype=np.int64)
    check_order(times_a, lines_a)
    if declared and times_a.size:
        off = np.flatnonzero((times_a - times_a[0]) % declared)
        if off.size:
            raise FormatError(f"timestamp off the declared {declared} s interval", line=int(lines_a[off[0]]))
    return ParsedFile(
        columns=columns,
        times=times_a,
        lines=lines_a,
        values=np.array(rows, dtype=np.float64).reshape(len(rows), len(columns)),
        declared_interval=declared,
        declared_line=declared_line,
    )
