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
import queue
import threading
from dataclasses import dataclass, field
from itertools import chain, islice
from typing import IO, TYPE_CHECKING, Any

from django.db import connection, reset_queries, transaction
from django.utils.translation import gettext as _

from catalog import arrival
from catalog.formats import EventRow, RowError, csv_layout, read_fdsn_text, read_quakeml
from catalog.formats.rows import iter_text_lines
from catalog.models import DataOrigin, Event, EventStatus
from portal.exceptions import InvalidInput
from portal.services import broadcast_on_commit

from .events import PUBLIC_GROUP, Solution, event_feature, events_group
from .import_batches import MAX_STORED_ERRORS, Batch, ImportSummary, row_solution
from .import_csv import CsvFastPath

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from catalog.formats import ReadResult
    from portal.models import Bureau, User


logger = logging.getLogger(__name__)

__all__ = ["FORMATS", "IMPORT_BATCH_SIZE", "MAX_STORED_ERRORS", "ImportSummary", "import_file", "import_rows"]


#: Solutions a batch: each batch costs a few statements and an ANALYZE of the staging
#: table, so bigger batches are cheaper (issue 18: 2,000 took twice the time of 20,000).
IMPORT_BATCH_SIZE = 20000


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
        _write_rows(batch, rows, batch_size, progress, fraction, key_by_line=False)

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


def _write_rows(
    batch: Batch,
    rows: Iterable[ReadResult],
    batch_size: int,
    progress: Callable[[ImportSummary], None] | None,
    fraction: Callable[[EventRow | RowError], float] | None,
    *,
    key_by_line: bool,
) -> None:
    """Rows read in Python into batches (the batch may already hold some: a CSV file's
    rows after its fast path ended)."""
    summary = batch.summary
    for chunk in _parsed(rows, batch_size, fraction, pending=batch.staged, key_by_line=key_by_line):
        summary.rows_read += chunk.read
        for line, reason in chunk.rejects:
            summary.reject(line, reason)
        batch.stage_solutions(chunk.solutions)
        if chunk.flush:
            batch.flush()
            # With DEBUG on, Django keeps the last 9,000 statements: clear them or
            # memory grows over a million rows.
            reset_queries()
        if chunk.report:
            # after a flush, and on a long run of rejected rows that flushes nothing: the
            # progress is the import's heartbeat (see HEARTBEAT_GRACE)
            if chunk.fraction is not None:
                summary.fraction = chunk.fraction
            if progress is not None:
                progress(summary)


@dataclass
class _Chunk:
    """What the parser read up to a point where the writer flushes or reports progress."""

    read: int = 0
    rejects: list[tuple[int | None, str]] = field(default_factory=list)
    #: (key, solution, raw text): the key orders the rows as the file does
    solutions: list[tuple[int, Solution, str]] = field(default_factory=list)
    flush: bool = False
    report: bool = False
    fraction: float | None = None


def _chunks(
    rows: Iterable[EventRow | RowError],
    batch_size: int,
    fraction: Callable[[EventRow | RowError], float] | None,
    *,
    pending: int = 0,
    key_by_line: bool = False,
) -> Iterator[_Chunk]:
    """Parse and check rows into chunks (pure Python, no database). ``pending``: solutions
    already in the batch. The key is the row's line (CSV) or its position (QuakeML has rows
    without a line)."""
    chunk = _Chunk()
    for read, row in enumerate(rows, start=1):
        chunk.read += 1
        if isinstance(row, RowError):
            chunk.rejects.append((row.line, row.reason))
        else:
            try:
                solution = row_solution(row)
            except (TypeError, ValueError) as problem:
                chunk.rejects.append((row.line, str(problem)))
            else:
                key = row.line if key_by_line and row.line is not None else read
                chunk.solutions.append((key, solution, f"line {row.line}" if row.line else ""))
                pending += 1
        if pending >= batch_size:
            chunk.flush = chunk.report = True
            pending = 0
        elif read % batch_size == 0:
            chunk.report = True
        if chunk.report:
            chunk.fraction = fraction(row) if fraction is not None else None
            yield chunk
            chunk = _Chunk()
    yield chunk


#: Chunks the parser may read ahead of the writer.
_READ_AHEAD = 2
_DONE = object()


def _parsed(
    rows: Iterable[EventRow | RowError],
    batch_size: int,
    fraction: Callable[[EventRow | RowError], float] | None,
    *,
    pending: int = 0,
    key_by_line: bool = False,
) -> Iterator[_Chunk]:
    """:func:`_chunks` run in a thread of its own, so reading and checking the next batch
    goes on while the database stores this one (issue 18: parsing took 4.5 s of 23 s,
    in series with the inserts). The parser holds no database connection; the readers
    are pure. An exception in the parser (a FormatError) is raised here, in order.
    """
    ahead: queue.Queue[Any] = queue.Queue(maxsize=_READ_AHEAD)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                ahead.put(item, timeout=0.5)
            except queue.Full:
                continue
            return True
        return False

    def parse() -> None:
        try:
            for chunk in _chunks(rows, batch_size, fraction, pending=pending, key_by_line=key_by_line):
                if not put(chunk):
                    return
        except BaseException as problem:  # noqa: BLE001 - handed to the writer's thread
            put(problem)
            return
        put(_DONE)

    thread = threading.Thread(target=parse, name="catalog-import-parser", daemon=True)
    thread.start()
    try:
        while True:
            item = ahead.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


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


class _CountingLines:
    """Iterates a binary file's lines, counting the bytes consumed (for progress)."""

    def __init__(self, fileobj: IO[bytes]) -> None:
        self.fileobj = fileobj
        self.consumed = 0

    def __iter__(self) -> Iterator[bytes]:
        for line in self.fileobj:
            self.consumed += len(line)
            yield line


def read_file(
    fileobj: IO[bytes], file_format: str, size: int
) -> tuple[Iterator[EventRow | RowError], Callable[[Any], float]]:
    """The reader for ``file_format`` (text or QuakeML) and a function giving the fraction read."""
    if file_format == "quakeml":
        data = fileobj.read()
        total_lines = max(1, data.count(b"\n"))
        return read_quakeml(data), lambda row: min(1.0, (getattr(row, "line", None) or 0) / total_lines)
    lines = _CountingLines(fileobj)
    return read_fdsn_text(lines), lambda _row: min(1.0, lines.consumed / max(1, size))


def _utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _fast_lines(block: list[bytes]) -> list[str] | None:
    """The block's lines as text, or None where the fast path must end (see import_csv)."""
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


def _import_csv(
    batch: Batch,
    fileobj: IO[bytes],
    size: int,
    batch_size: int,
    progress: Callable[[ImportSummary], None] | None,
) -> None:
    """A CSV file: the header in Python, then blocks of lines through the fast path until
    a block it cannot take (the rest through the reader)."""
    counting = _CountingLines(fileobj)
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

    fast = CsvFastPath.for_layout(layout) if CSV_FAST_PATH else None
    # A header read as GB18030 keeps the reader's choice for the lines after it.
    if fast is None or not all(_utf8(line) for line in header_raw):
        _write_rows(
            batch, layout.rows(text, layout.header_line), batch_size, progress, fraction, key_by_line=True
        )
        return
    with connection.cursor() as cursor:
        for statement in fast.create_sql:
            cursor.execute(statement)
    summary = batch.summary
    code = batch.bureau.code
    line_no = layout.header_line
    while True:
        wanted = batch_size - batch.staged
        block = list(islice(raw, wanted))
        if not block:
            return
        first = line_no + 1
        line_no += len(block)
        lines = _fast_lines(block)
        if lines is None:
            tail = iter_text_lines(chain(block, raw), None, start=False, first_line=first)
            _write_rows(batch, layout.rows(tail, first - 1), batch_size, progress, fraction, key_by_line=True)
            return
        bad = fast.bad_lines(lines)
        read: list[tuple[int, ReadResult]] = []
        for position in bad:
            result = layout.line(lines[position], first + position)
            if result is not None:
                read.append((first + position, result))
        good = len(lines) - len(bad)
        refused: list[int] = []
        if good:
            skipped = set(bad)
            data = (
                "\n".join(fast.placeholder() if i in skipped else t for i, t in enumerate(lines))
                if bad
                else "\n".join(lines)
            )
            refused = fast.stage(batch, data, first_line=first, lines=good, bureau_code=code)
        for line in refused:
            result = layout.line(lines[line - first], line)
            if result is not None:
                read.append((line, result))
        read.sort(key=lambda item: item[0])
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
        if batch.staged >= batch_size:
            batch.flush()
            reset_queries()
        elif len(block) < wanted:
            return  # the end of the file: the writer reports the last progress
        # after a flush, and after each block on a long run of rejected lines: the
        # progress is the import's heartbeat (see HEARTBEAT_GRACE)
        summary.fraction = fraction()
        if progress is not None:
            progress(summary)


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
            _import_csv(batch, fileobj, size, batch_size, progress)

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
