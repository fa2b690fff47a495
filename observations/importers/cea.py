"""The CEA precursor text exchange format (前兆观测数据交换格式).

No published description of it was found (searched: the CEA standards DB/T 3-2003
"地震与地震前兆测项分类与代码" and the data-sharing rules "地震前兆数字化观测数据共享报送约定"
are cited on public pages, but neither the layout of the text files nor a sample was
found). Rather than guess a layout and store wrong numbers, such a file is refused with a
message saying so; convert it to the CSV form (see ``csv_series``) meanwhile.
"""

from __future__ import annotations

from .common import FormatError, ParsedFile, Progress


def parse(lines: list[str], progress: Progress | None = None) -> ParsedFile:
    raise FormatError(
        "the CEA precursor text format is not supported: no published description of it was "
        "found; convert the file to CSV (time,<STATION:ITEM>,...)",
        line=1,
    )
