"""Catalog file imports, the writer: streaming, batched upserts, all-or-nothing per file.

The readers in :mod:`catalog.formats` yield one row at a time; rows are gathered in
batches (``IMPORT_BATCH_SIZE`` rows that become solutions) and each batch is staged and
written on the server by :class:`catalog.services.import_batches.Batch` (a handful of
statements a batch). CSV files take the fast path of :mod:`catalog.services.import_csv`:
PostgreSQL converts the ordinary lines, the Python reader reads only the rest. Memory
stays flat: nothing but the current batch and the first ``MAX_STORED_ERRORS`` rejected
rows are held.

The whole file runs in one transaction (see the package docstring): a fatal error
(unreadable file, broken XML, no header) stores nothing.
"""

from __future__ import annotations

import logging
from typing import IO, TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from catalog import arrival
from catalog.formats import EventRow, RowError, read_fdsn_text, read_quakeml
from catalog.models import DataOrigin, Event, EventStatus
from portal.exceptions import InvalidInput
from portal.services import broadcast_on_commit

from .events import PUBLIC_GROUP, event_feature, events_group
from .import_batches import MAX_STORED_ERRORS, Batch, ImportSummary
from .import_csv import import_csv
from .import_rows import CountingLines, write_rows

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from portal.models import Bureau, User


logger = logging.getLogger(__name__)

__all__ = ["FORMATS", "IMPORT_BATCH_SIZE", "MAX_STORED_ERRORS", "ImportSummary", "import_file", "import_rows"]


#: Solutions a batch: each batch costs a few statements (two temporary tables emptied, the
#: match, the fold), so bigger batches are cheaper (issue 18: 2,000 took twice the time of
#: 20,000; 50,000 took 4-7 % less than 20,000 for 1,000,000 events, ~20 MiB more memory).
IMPORT_BATCH_SIZE = 50000


FORMATS = ("csv", "text", "quakeml")

#: CSV lines converted by PostgreSQL (catalog.services.import_csv); off, every line goes
#: through the Python reader (the tests compare the two).
CSV_FAST_PATH = True


def import_rows(
    *,
    bureau: Bureau,
    rows: Iterable[EventRow | RowError],
    publish: bool = True,
    user: User | None = None,
    batch_size: int = IMPORT_BATCH_SIZE,
    progress: Callable[[ImportSummary], None] | None = None,
    fraction: Callable[[EventRow | RowError], float] | None = None,
    data_origin: str = DataOrigin.IMPORT,
) -> ImportSummary:
    """Upsert rows into the bureau's catalog, in one transaction (a savepoint in the caller's).

    Rejected rows are counted with their line and reason. Raises FormatError
    (from the reader) when the input cannot be read at all; the transaction then
    stores nothing.
    """

    def write(batch: Batch) -> None:
        write_rows(batch, rows, batch_size, progress, fraction, key_by_line=False)

    return _run(
        bureau=bureau, publish=publish, user=user, data_origin=data_origin, progress=progress, write=write
    )


def _run(
    *,
    bureau: Bureau,
    publish: bool,
    user: User | None,
    data_origin: str,
    progress: Callable[[ImportSummary], None] | None,
    write: Callable[[Batch], None],
) -> ImportSummary:
    summary = ImportSummary()
    # One transaction: the staging tables live until it ends (ON COMMIT DROP).
    with transaction.atomic():
        batch = Batch(bureau=bureau, publish=publish, user=user, summary=summary, data_origin=data_origin)
        with batch.checked_per_batch():
            write(batch)
            batch.flush()
        summary.fraction = 1.0
        if progress is not None:
            progress(summary)
        _announce_live(batch.live)
    return summary


def _announce_live(live: list[tuple[int, bool]]) -> None:
    """Arrivals and live pushes for fresh events only (see catalog.arrival)."""
    if not live:
        return
    events = Event.objects.select_related("bureau").in_bulk([pk for pk, _ in live])
    for pk, created in live:
        event = events.get(pk)
        if event is None:
            continue
        message = {
            "kind": "catalog.event",
            "action": "create" if created else "update",
            "data": event_feature(event),
        }
        broadcast_on_commit(events_group(event.bureau_id), message)
        if event.is_published and event.status != EventStatus.DELETED:
            broadcast_on_commit(PUBLIC_GROUP, message)
        arrival.event_arrived(event_id=pk, created=created, source="import")


def read_file(
    fileobj: IO[bytes], file_format: str, size: int
) -> tuple[Iterator[EventRow | RowError], Callable[[Any], float]]:
    """The reader for ``file_format`` (text or QuakeML) and a function giving the fraction read."""
    if file_format == "quakeml":
        data = fileobj.read()
        total_lines = max(1, data.count(b"\n"))
        return read_quakeml(data), lambda row: min(1.0, (getattr(row, "line", None) or 0) / total_lines)
    lines = CountingLines(fileobj)
    return read_fdsn_text(lines), lambda _row: min(1.0, lines.consumed / max(1, size))


def import_file(
    *,
    bureau: Bureau,
    fileobj: IO[bytes],
    file_format: str,
    size: int,
    publish: bool = True,
    user: User | None = None,
    batch_size: int = IMPORT_BATCH_SIZE,
    progress: Callable[[ImportSummary], None] | None = None,
) -> ImportSummary:
    """Import one catalog file in one transaction. Raises FormatError (nothing stored)."""
    if file_format not in FORMATS:
        raise InvalidInput(_("Unknown format; use csv, text or quakeml."), field="format")
    if file_format == "csv":

        def write(batch: Batch) -> None:
            import_csv(batch, fileobj, size, batch_size, progress, fast_path=CSV_FAST_PATH)

        return _run(
            bureau=bureau,
            publish=publish,
            user=user,
            data_origin=DataOrigin.IMPORT,
            progress=progress,
            write=write,
        )
    reader, fraction = read_file(fileobj, file_format, size)
    return import_rows(
        bureau=bureau,
        rows=reader,
        publish=publish,
        user=user,
        batch_size=batch_size,
        progress=progress,
        fraction=fraction,
    )
