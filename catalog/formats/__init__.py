"""Catalogue readers and writers (pure: no Django, no database).

Readers yield ``EventRow | RowError`` and never stop at a bad row; writers
take the shapes described in :mod:`catalog.formats.events` and yield pieces
for a streaming response.
"""

from catalog.formats.csv_reader import CSV_FIELDS, EVENT_TYPES_ZH, CsvLayout, csv_layout, read_csv
from catalog.formats.events import (
    ROW_FIELDS,
    EventOut,
    FocalMechanismOut,
    MagnitudeOut,
    OriginOut,
    as_event,
    public_id,
)
from catalog.formats.fdsn_text import (
    FDSN_TEXT_COLUMNS,
    FDSN_TEXT_HEADER,
    TEXT_ROW_FIELDS,
    read_fdsn_text,
    write_fdsn_text,
    write_fdsn_text_rows,
)
from catalog.formats.geojson import write_geojson
from catalog.formats.quakeml import (
    BED_NAMESPACE,
    QUAKEML_NAMESPACE,
    QUAKEML_TAIL,
    quakeml_events,
    quakeml_head,
    quakeml_row,
    read_quakeml,
    write_quakeml,
    write_quakeml_rows,
)
from catalog.formats.rows import BEIJING, EventRow, FormatError, ReadResult, RowError

__all__ = [
    "BED_NAMESPACE",
    "BEIJING",
    "CSV_FIELDS",
    "EVENT_TYPES_ZH",
    "FDSN_TEXT_COLUMNS",
    "FDSN_TEXT_HEADER",
    "QUAKEML_NAMESPACE",
    "QUAKEML_TAIL",
    "ROW_FIELDS",
    "TEXT_ROW_FIELDS",
    "CsvLayout",
    "EventOut",
    "EventRow",
    "FocalMechanismOut",
    "FormatError",
    "MagnitudeOut",
    "OriginOut",
    "ReadResult",
    "RowError",
    "as_event",
    "csv_layout",
    "public_id",
    "quakeml_events",
    "quakeml_head",
    "quakeml_row",
    "read_csv",
    "read_fdsn_text",
    "read_quakeml",
    "write_fdsn_text",
    "write_fdsn_text_rows",
    "write_geojson",
    "write_quakeml",
    "write_quakeml_rows",
]
