"""Catalog imports, the rows read in Python: each row checked into a solution
(:func:`row_solution`), and the rows fed to a :class:`~catalog.services.import_batches.Batch`
a chunk at a time (:func:`write_rows`), read and checked a batch ahead in a thread of their
own (:func:`read_ahead`): the readers and the checks are pure, so they work while the
database stores the batch before.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from typing import IO, TYPE_CHECKING, Any, TypeVar

from django.db import reset_queries
from django.utils import timezone

from catalog.formats import RowError
from catalog.models import EventStatus, ReportKind

from .events import Solution

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterable, Iterator

    from catalog.formats import EventRow, ReadResult

    from .import_batches import Batch, ImportSummary

T = TypeVar("T")

#: Clocks of networks disagree a little; an event later than this from now has not
#: happened (a typed 9999, or a file from a clock set wrong) and would head every list.
FUTURE_TOLERANCE = timedelta(hours=1)


def row_solution(row: EventRow) -> Solution:
    """The row as a solution; ValueError (the row is rejected with its line) when impossible.

    The CSV fast path (:mod:`catalog.services.import_csv`) computes the same in SQL for the
    lines it takes; keep the two in step (tests/catalog/test_import_fast_path.py).
    """
    if row.origin_time > timezone.now() + FUTURE_TOLERANCE:
        raise ValueError(
            f"time {row.origin_time:%Y-%m-%dT%H:%M:%S}Z is in the future "
            "(more than one hour after now); the event is not imported"
        )
    automatic = (row.evaluation_mode or "").lower() == "automatic"
    return Solution(
        origin_time=row.origin_time,
        latitude=row.latitude,
        longitude=row.longitude,
        depth_km=row.depth_km,
        magnitude=row.magnitude,
        magnitude_type=(row.magnitude_type or "M")[:8],
        location_name=(row.location_name or "")[:200],
        source=(row.source or row.contributor or "")[:64],
        status=EventStatus.AUTOMATIC if automatic else EventStatus.REVIEWED,
        report_kind=ReportKind.CATALOG,
        strike=row.strike,
        dip=row.dip,
        rake=row.rake,
        event_type=(row.event_type or "earthquake")[:40],
        external_id=(row.public_id or "")[:128],
    )


class CountingLines:
    """Iterates a binary file's lines, counting the bytes consumed (for progress)."""

    def __init__(self, fileobj: IO[bytes]) -> None:
        self.fileobj = fileobj
        self.consumed = 0

    def __iter__(self) -> Iterator[bytes]:
        for line in self.fileobj:
            self.consumed += len(line)
            yield line


def write_rows(
    batch: Batch,
    rows: Iterable[ReadResult],
    batch_size: int,
    progress: Callable[[ImportSummary], None] | None,
    fraction: Callable[[ReadResult], float] | None,
    *,
    key_by_line: bool,
) -> None:
    """Rows read in Python into batches (the batch may already hold some: a CSV file's
    rows after its fast path ended). The key is the row's line (CSV) or its position
    (QuakeML has rows without a line)."""
    summary = batch.summary
    chunks = _chunks(rows, batch_size, fraction, pending=batch.staged, key_by_line=key_by_line)
    for chunk in read_ahead(chunks, name="catalog-import-parser"):
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
    rows: Iterable[ReadResult],
    batch_size: int,
    fraction: Callable[[ReadResult], float] | None,
    *,
    pending: int,
    key_by_line: bool,
) -> Iterator[_Chunk]:
    """Parse and check rows into chunks (pure Python, no database). ``pending``: solutions
    already in the batch."""
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


_DONE = object()


def read_ahead(items: Iterator[T], *, name: str, depth: int = 2) -> Generator[T]:
    """``items`` produced in a thread of its own, so reading and checking the next batch goes
    on while the database stores this one (issue 18: parsing took 4.5 s of 23 s, in series
    with the inserts). The producer must hold no database connection (the readers are
    pure). An exception in it (a FormatError) is raised here, in order. ``depth``: the
    items it may hold ahead.
    """
    ahead: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                ahead.put(item, timeout=0.5)
            except queue.Full:
                continue
            return True
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
        except BaseException as problem:  # noqa: BLE001 - handed to the writer's thread
            put(problem)
            return
        put(_DONE)

    thread = threading.Thread(target=produce, name=name, daemon=True)
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
