"""Readers of observation series files: IAGA-2002 (``iaga2002``), CSV (``csv_series``) and
the CEA precursor text format (``cea``: no published description found, refused). Each
turns a file's bytes into a :class:`~.common.ParsedFile` or raises
:class:`~.common.FormatError` naming the line; they know nothing of the database."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .common import ColumnRef, FormatError, ParsedFile, read_text

if TYPE_CHECKING:
    from .common import Progress

PARSERS = ("iaga2002", "csv", "cea")


def parse(data: bytes, file_format: str, progress: Progress | None = None) -> ParsedFile:
    """Parse ``data`` as ``file_format`` (one of :data:`PARSERS`); ``progress(fraction)`` is
    called every :data:`~.common.PROGRESS_EVERY` lines."""
    from . import cea, csv_series, iaga2002

    parser = {"iaga2002": iaga2002.parse, "csv": csv_series.parse, "cea": cea.parse}.get(file_format)
    if parser is None:
        raise FormatError(f"unknown format {file_format!r}; use one of {', '.join(PARSERS)}")
    return parser(read_text(data), progress)


__all__ = ["PARSERS", "ColumnRef", "FormatError", "ParsedFile", "parse", "read_text"]
