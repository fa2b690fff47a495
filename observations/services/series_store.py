"""Writing samples: a channel's contiguous run of samples replaces what was stored for that
time range, day rows built in numpy and sent with binary ``COPY`` (the fast path measured
in ``bench/series_bench.py``).

Call inside the caller's transaction: an import writes all its channels in one, so a file
is stored whole or not at all. Each write leaves a note in the channel's history (the audit
trail, action ``channel.series_written``; ``replaced`` says whether samples were there) with
the content hash of every channel-day it stored (``days``: day → SHA-256, None for a day
left empty; observations.evidence), and the same hashes in ``SeriesDayEvidence``. An import
writes its channels with ``record=False`` and records them all at the end
(:func:`series_record`): the audit chain's lock is then held only for the last moments of
its transaction, not for the whole file.

Once the transaction commits, the apps above hear of the new data through the hook
``series.written`` (portal.hooks): one per bureau and transaction, with each channel's whole
written span, however many writes (days, channels) the transaction made.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from django.db import connection, transaction

from observations.evidence import day_digest
from observations.models import Channel, DayValuesBinary, SeriesDay, SeriesDayEvidence
from observations.series_codec import decode_float4_array_send, encode_day_rows
from portal import hooks
from portal.exceptions import InvalidInput
from portal.services import audit_record

if TYPE_CHECKING:
    from portal.models import AuditEvent, User
    from portal.tenancy import Actor

DAY_SECONDS = 86400
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
COLUMNS = "bureau_id, channel_id, day, values, n_present, min, max, sum, created_at, updated_at"


def slots_per_day(channel: Channel) -> int:
    return DAY_SECONDS // int(channel.interval)


def slot_of(channel: Channel, when: dt.datetime) -> int:
    """The index of ``when`` counted in sampling intervals since 1970-01-01 UTC; raises
    ValueError when ``when`` is not on the channel's interval."""
    seconds = int((when - EPOCH).total_seconds())
    if (when - EPOCH).microseconds or seconds % int(channel.interval):
        raise ValueError("off the sampling interval")
    return seconds // int(channel.interval)


@dataclass
class Written:
    samples: int
    days: int
    replaced: bool
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    # every UTC day the write covered: (SHA-256 of the stored day, samples present), or None
    # where the day is now empty (observations.evidence)
    hashes: dict[dt.date, tuple[str, int] | None] = field(default_factory=dict)


class _Announcement:
    """The spans written in one transaction, announced once it commits (``series.written``).

    One object per transaction: it is found among the connection's pending commit callbacks,
    so a rolled-back transaction (whose callbacks Django drops) leaves nothing behind."""

    def __init__(self) -> None:
        self.spans: dict[int, dict[int, tuple[dt.datetime, dt.datetime]]] = {}
        self.fired = False
        self.__qualname__ = "series_written_announcement"  # Django logs a failing callback by it

    def add(self, channel: Channel, start: dt.datetime, end: dt.datetime) -> None:
        spans = self.spans.setdefault(channel.bureau_id, {})
        first, last = spans.get(channel.pk, (start, end))
        spans[channel.pk] = (min(first, start), max(last, end))

    def __call__(self) -> None:
        self.fired = True
        for bureau_id, spans in self.spans.items():
            hooks.fire(
                "series.written",
                bureau_id=bureau_id,
                spans={pk: (a.isoformat(), b.isoformat()) for pk, (a, b) in sorted(spans.items())},
            )


def _announce(channel: Channel, start: dt.datetime, end: dt.datetime) -> None:
    # ``run_on_commit`` is the connection's list of (savepoint ids, callback, robust) waiting
    # for the commit: the transaction's announcement is there once its first write added it.
    pending = next(
        (
            f
            for f in (entry[1] for entry in connection.run_on_commit)
            if isinstance(f, _Announcement) and not f.fired
        ),
        None,
    )
    if pending is None:
        pending = _Announcement()
        transaction.on_commit(pending, robust=True)
    pending.add(channel, start, end)


def _existing_days(channel: Channel, first: dt.date, last: dt.date) -> dict[dt.date, np.ndarray]:
    per_day = slots_per_day(channel)
    rows = (
        SeriesDay.objects.filter(channel=channel, day__gte=first, day__lte=last)
        .annotate(blob=DayValuesBinary("values"))
        .values_list("day", "blob")
    )
    return {day: decode_float4_array_send(bytes(blob), per_day) for day, blob in rows}


def series_write(
    *,
    channel: Channel,
    start: dt.datetime,
    values: np.ndarray,
    actor: Actor | User | None,
    source: str = "",
    record: bool = True,
) -> Written:
    """Store ``values`` (float32, NaN for gaps) of ``channel`` from ``start`` (UTC, on the
    channel's interval) on: the range [start, start + len * interval) replaces what was
    stored there (gaps in ``values`` become gaps); samples outside it are kept.

    With ``record`` (the default) the write is recorded at once (:func:`series_record`);
    without it the caller records it later in the same transaction."""
    if not connection.in_atomic_block:
        with transaction.atomic():
            return series_write(
                channel=channel, start=start, values=values, actor=actor, source=source, record=record
            )
    values = np.asarray(values, dtype=np.float32)
    if values.size == 0:
        return Written(0, 0, False)
    try:
        first_slot = slot_of(channel, start)
    except ValueError:
        raise InvalidInput(
            f"{start.isoformat()} is not on the channel's sampling interval.", field="start"
        ) from None
    per_day = slots_per_day(channel)
    last_slot = first_slot + values.size - 1
    first_day_index, last_day_index = first_slot // per_day, last_slot // per_day
    epoch_day = EPOCH.date()
    first_day = epoch_day + dt.timedelta(days=first_day_index)
    last_day = epoch_day + dt.timedelta(days=last_day_index)
    n_days = last_day_index - first_day_index + 1
    # the whole days touched, as one block, NaN where nothing is stored
    block = np.full(n_days * per_day, np.nan, dtype=np.float32)
    offset = first_slot - first_day_index * per_day
    partial = {first_day, last_day} if (offset or (last_slot + 1) % per_day) else set()
    existing = _existing_days(channel, first_day, last_day) if partial else {}
    for day, stored in existing.items():
        if day in partial:
            i = (day - first_day).days
            block[i * per_day : (i + 1) * per_day] = stored
    block[offset : offset + values.size] = values
    days = block.reshape(n_days, per_day)
    rows = [
        (channel.pk, first_day + dt.timedelta(days=i), days[i])
        for i in range(n_days)
        if not np.isnan(days[i]).all()
    ]
    deleted, _ = SeriesDay.objects.filter(channel=channel, day__gte=first_day, day__lte=last_day).delete()
    if rows:
        payload = encode_day_rows(rows, bureau_id=channel.bureau_id, stamp=dt.datetime.now(dt.UTC))
        with connection.cursor() as cursor:
            raw = cursor.cursor
            with raw.copy(f"COPY {SeriesDay._meta.db_table} ({COLUMNS}) FROM STDIN (FORMAT binary)") as copy:
                copy.write(payload)
    interval = int(channel.interval)
    hashes: dict[dt.date, tuple[str, int] | None] = {
        first_day + dt.timedelta(days=i): None for i in range(n_days)
    }
    for _channel_id, day, samples in rows:
        digest = day_digest(channel_id=channel.pk, day=day, interval=interval, values=samples)
        hashes[day] = (digest, int((~np.isnan(samples)).sum()))
    stored_count = int((~np.isnan(values)).sum())
    end = start + dt.timedelta(seconds=interval * values.size)
    written = Written(stored_count, len(rows), bool(deleted), start=start, end=end, hashes=hashes)
    if record:
        series_record(channel=channel, written=written, actor=actor, source=source)
    if stored_count:
        _announce(channel, start, end)
    return written


def series_record(
    *,
    channel: Channel,
    written: Written,
    actor: Actor | User | None,
    source: str = "",
    file_sha256: str = "",
) -> AuditEvent:
    """The write's note in the channel's history (the audit chain) with each day's content
    hash, and the same hashes as the days' evidence (``SeriesDayEvidence``)."""
    if written.start is None or written.end is None:
        raise ValueError("an empty write has nothing to record")
    extra = {
        "start": written.start.isoformat(),
        "end": written.end.isoformat(),
        "samples": written.samples,
        "replaced": written.replaced,
        "days": {day.isoformat(): (h[0] if h else None) for day, h in sorted(written.hashes.items())},
    }
    if file_sha256:
        extra["file_sha256"] = file_sha256
    event = audit_record(
        actor=actor, action="channel.series_written", target=channel, comment=source, extra=extra
    )
    emptied = [day for day, h in written.hashes.items() if h is None]
    if emptied:
        SeriesDayEvidence.objects.filter(channel=channel, day__in=emptied).delete()
    evidence = [
        SeriesDayEvidence(
            bureau_id=channel.bureau_id,
            channel=channel,
            day=day,
            sha256=h[0],
            samples=h[1],
            recorded_in=event,
        )
        for day, h in written.hashes.items()
        if h is not None
    ]
    if evidence:
        SeriesDayEvidence.objects.bulk_create(
            evidence,
            update_conflicts=True,
            unique_fields=["channel", "day"],
            update_fields=["sha256", "samples", "recorded_in", "updated_at"],
        )
    return event
