"""Running quality control over stored samples: :func:`qc_check_days` checks a channel's UTC
days (the checks are ``observations.qc_checks``) and stores one :class:`QcDay` per day with
its machine flags (:class:`QcFlag`).

* The samples are read as the channel's bureau reads them (``bureau_reader``), with a margin
  of the neighbouring days so windows at midnight see context; the channel is checked in
  one pass over all the days asked (in chunks of about two million samples for 1 s
  channels), which is what makes a year of a channel take well under a second.
* Every day from ``first_day`` to ``last_day`` gets a row, stored or not: a day with no
  samples has availability 0 and one gap over the day. Days that have not begun at the time
  of the check are skipped unless something is stored on them (a timestamp fault).
* ``flagged`` (a person should look): any spike, step, flat line, out-of-range value,
  timestamp fault or departure alarm, or availability under ``QcParams.availability_min``
  (90 %). Gaps alone on a mostly available day are recorded but do not call a person.
* Re-checking: a day's machine flags are replaced only when they differ from the stored
  ones (same kinds and spans = same finding: the counts and ``checked_at`` are refreshed,
  the flags keep their verdicts). When they differ, the old machine flags go, and a day a
  person had reviewed goes back to ``auto`` through the workflow engine (action
  ``qc_day.recheck``, by the system) with its reviews marked ``superseded``: a review judged
  flags that no longer exist. Spans a person marked (kind ``marked``) stay.
* One transaction per call: the days' rows, flags and reviews change together or not at all.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from observations import qc_checks as checks
from observations import qc_selectors
from observations.models import Channel, QcDay, QcFlag, QcReview
from observations.series_selectors import series_samples
from observations.services.qc_review_workflow import WORKFLOW as QC_WORKFLOW
from portal.tenancy import bureau_reader
from portal.workflow import transition

if TYPE_CHECKING:
    from collections.abc import Iterable

logger = logging.getLogger(__name__)

DAY_SECONDS = 86400
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
CHUNK_SAMPLES = 2_000_000  # ~8 MB of float32 a pass: a 1 s channel is checked 23 days at a time

FLAG_KINDS = {
    checks.GAP: QcFlag.Kind.GAP,
    checks.SPIKE: QcFlag.Kind.SPIKE,
    checks.STEP: QcFlag.Kind.STEP,
    checks.FLAT: QcFlag.Kind.FLAT,
    checks.OUT_OF_RANGE: QcFlag.Kind.OUT_OF_RANGE,
    checks.TIMESTAMP: QcFlag.Kind.TIMESTAMP,
    checks.DEPARTURE: QcFlag.Kind.DEPARTURE,
}
SUMMARY_FIELDS = [
    "expected",
    "present",
    "availability",
    "gaps",
    "spikes",
    "steps",
    "flat",
    "out_of_range",
    "timestamp_faults",
    "departure",
    "departure_alarm",
    "flagged",
    "checked_at",
]


@dataclass
class QcRun:
    """What one call checked."""

    channel: int
    days: int = 0
    flagged: int = 0
    changed: int = 0  # days whose machine flags differ from before
    seconds: float = 0.0


@dataclass
class _Day:
    day: dt.date
    summary: dict[str, Any]
    flags: list[dict[str, Any]] = field(default_factory=list)

    def key(self) -> set[tuple[str, dt.datetime, dt.datetime]]:
        return {(f["kind"], f["start"], f["end"]) for f in self.flags}


def _iso(when: dt.datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def _departures(
    channel: Channel, first: dt.date, last: dt.date, params: checks.QcParams, resolution: float
) -> dict[dt.date, float | None]:
    """Each day's departure from the stored daily sums (the previous ``lta_days`` days)."""
    per_day = DAY_SECONDS // int(channel.interval)
    lead = dt.timedelta(days=params.lta_days)
    sums = qc_selectors.qc_daily_sums(channel=channel, first=first - lead, last=last)
    days = [first - lead + dt.timedelta(days=i) for i in range((last - first).days + params.lta_days + 1)]
    means: list[float | None] = []
    fractions: list[float] = []
    for day in days:
        total, n = sums.get(day, (0.0, 0))
        means.append(total / n if n else None)
        fractions.append(100.0 * n / per_day)
    found = checks.departures(means, fractions, params, first=params.lta_days, resolution=resolution)
    return dict(zip(days[params.lta_days :], found, strict=True))


def _check_chunk(
    channel: Channel,
    days: list[dt.date],
    now: dt.datetime,
    params: checks.QcParams,
) -> list[_Day]:
    interval = int(channel.interval)
    per_day = DAY_SECONDS // interval
    margin = params.margin_samples(interval)
    origin = _day_start(days[0]) - dt.timedelta(seconds=margin * interval)
    end = _day_start(days[-1]) + dt.timedelta(days=1, seconds=margin * interval)
    values = series_samples(actor=bureau_reader(channel.bureau), channel=channel, start=origin, end=end)
    now_index = math.ceil((now - origin).total_seconds() / interval)
    spans = checks.check_series(
        values,
        interval=interval,
        now_index=now_index,
        plausible_min=channel.plausible_min,
        plausible_max=channel.plausible_max,
        params=params,
    )
    departures = _departures(channel, days[0], days[-1], params, checks.quantum(values))

    def at(index: int) -> dt.datetime:
        return origin + dt.timedelta(seconds=int(index) * interval)

    out = []
    for day in days:
        lo = margin + (day - days[0]).days * per_day
        hi = lo + per_day
        upto = max(lo, min(hi, now_index))
        window = values[lo:upto]
        present = int((~np.isnan(window)).sum())
        expected = upto - lo
        found: dict[str, list[checks.Span]] = {kind: [] for kind in FLAG_KINDS}
        for span in spans:
            # a spike or step belongs to the day of its defining sample; a run to each day it covers
            if span.at is not None and span.kind in (checks.SPIKE, checks.STEP):
                if lo <= span.at < hi:
                    found[span.kind].append(span)
            elif span.start < hi and span.end > lo:
                found[span.kind].append(
                    checks.Span(span.kind, max(span.start, lo), min(span.end, hi), span.value, span.at)
                )
        departure = departures.get(day)
        alarm = departure is not None and departure > params.departure_k
        availability = round(100.0 * present / expected, 3) if expected else 100.0
        summary = {
            "expected": expected,
            "present": present,
            "availability": availability,
            "gaps": len(found[checks.GAP]),
            "spikes": [_iso(at(s.at if s.at is not None else s.start)) for s in found[checks.SPIKE]],
            "steps": len(found[checks.STEP]),
            "flat": len(found[checks.FLAT]),
            "out_of_range": int(sum(s.end - s.start for s in found[checks.OUT_OF_RANGE])),
            "timestamp_faults": int(
                sum(int((~np.isnan(values[s.start : s.end])).sum()) for s in found[checks.TIMESTAMP])
            ),
            "departure": None if departure is None else round(float(departure), 3),
            "departure_alarm": alarm,
        }
        summary["flagged"] = bool(
            summary["spikes"]
            or summary["steps"]
            or summary["flat"]
            or summary["out_of_range"]
            or summary["timestamp_faults"]
            or alarm
            or (expected and availability < params.availability_min)
        )
        flags = []
        for kind, kind_spans in found.items():
            for span in kind_spans:
                value = span.value
                if kind == checks.GAP:
                    value = float(span.end - span.start)  # missing samples
                flags.append(
                    {
                        "kind": FLAG_KINDS[kind],
                        "start": at(span.start),
                        "end": at(span.end),
                        "value": None if value is None or not np.isfinite(value) else float(value),
                        "detail": {"at": _iso(at(span.at))} if span.at is not None else {},
                    }
                )
        if alarm:
            start = _day_start(day)
            flags.append(
                {
                    "kind": QcFlag.Kind.DEPARTURE,
                    "start": start,
                    "end": start + dt.timedelta(days=1),
                    "value": summary["departure"],
                    "detail": {"k": params.departure_k, "lta_days": params.lta_days},
                }
            )
        out.append(_Day(day, summary, flags))
    return out


def _arrays(rows: list[dict[str, Any]]) -> list[list[Any]]:
    """The summary columns of ``rows`` as one list each, in ``SUMMARY_FIELDS`` order (the
    spike lists as JSON text)."""
    return [[json.dumps(r[name]) if name == "spikes" else r[name] for r in rows] for name in SUMMARY_FIELDS]


# A year of a channel is ~400 rows: the ORM's bulk_create spends ~1 ms a row building the
# statement and bulk_update's CASE WHEN ~0.5 s a channel; one statement over arrays does both
# in milliseconds (bench/qc_bench.py).
_SUMMARY_TYPES = [
    "integer",
    "integer",
    "double precision",
    "integer",
    "text",
    "integer",
    "integer",
    "integer",
    "integer",
    "double precision",
    "boolean",
    "boolean",
    "timestamptz",
]


def _insert_days(channel: Channel, rows: list[dict[str, Any]], now: dt.datetime) -> dict[dt.date, int]:
    """Insert new QcDay rows (status auto); returns their ids by day."""
    table = QcDay._meta.db_table
    columns = ", ".join(SUMMARY_FIELDS)
    casts = ", ".join(f"u.{name}::jsonb" if name == "spikes" else f"u.{name}" for name in SUMMARY_FIELDS)
    params = ", ".join(f"%s::{kind}[]" for kind in _SUMMARY_TYPES)
    sql = (
        # identifiers from the model and this module's constants; every value is bound
        f"INSERT INTO {table} (bureau_id, channel_id, day, status, created_at, updated_at, {columns}) "  # noqa: S608
        f"SELECT %s, %s, u.day, %s, %s, %s, {casts} "
        f"FROM unnest(%s::date[], {params}) AS u(day, {columns}) RETURNING id, day"
    )
    args: list[Any] = [channel.bureau_id, channel.pk, QcDay.Status.AUTO, now, now, [r["day"] for r in rows]]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*args, *_arrays(rows)])
        return {day: pk for pk, day in cursor.fetchall()}


def _update_days(ids: list[int], rows: list[dict[str, Any]], now: dt.datetime) -> None:
    """Refresh the summaries of existing QcDay rows (never their status: that is the
    workflow's)."""
    table = QcDay._meta.db_table
    columns = ", ".join(SUMMARY_FIELDS)
    sets = ", ".join(
        f"{name} = u.{name}::jsonb" if name == "spikes" else f"{name} = u.{name}" for name in SUMMARY_FIELDS
    )
    params = ", ".join(f"%s::{kind}[]" for kind in _SUMMARY_TYPES)
    sql = (
        # identifiers from the model and this module's constants; every value is bound
        f"UPDATE {table} AS d SET {sets}, updated_at = %s "  # noqa: S608
        f"FROM unnest(%s::bigint[], {params}) AS u(id, {columns}) WHERE d.id = u.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, ids, *_arrays(rows)])


def _store(channel: Channel, found: list[_Day], now: dt.datetime) -> tuple[int, int]:
    """Replace the days' rows and machine flags; returns (flagged days, changed days)."""
    existing = qc_selectors.qc_days_for_update(channel=channel, first=found[0].day, last=found[-1].day)
    fresh: list[_Day] = []
    kept_ids: list[int] = []
    kept_rows: list[dict[str, Any]] = []
    replace: list[tuple[int, _Day]] = []
    rechecked: list[QcDay] = []
    for item in found:
        row = existing.get(item.day)
        summary = {**item.summary, "checked_at": now}
        if row is None:
            fresh.append(item)
            continue
        kept_ids.append(row.pk)
        kept_rows.append(summary)
        old = {(f.kind, f.start, f.end) for f in row.flags.all() if f.kind != QcFlag.Kind.MARKED}
        if old != item.key():
            replace.append((row.pk, item))
            if row.status == QcDay.Status.REVIEWED:
                rechecked.append(row)
    if kept_ids:
        _update_days(kept_ids, kept_rows, now)
    changed_ids = [pk for pk, _item in replace]
    if changed_ids:
        QcFlag.objects.filter(qc_day_id__in=changed_ids).exclude(kind=QcFlag.Kind.MARKED).delete()
        QcReview.objects.filter(qc_day_id__in=changed_ids, superseded=False).update(superseded=True)
    for row in rechecked:
        transition(row, "recheck", None, workflow=QC_WORKFLOW, extra={"day": row.day.isoformat()})
    if fresh:
        ids = _insert_days(channel, [{**i.summary, "checked_at": now, "day": i.day} for i in fresh], now)
        replace += [(ids[item.day], item) for item in fresh]
    QcFlag.objects.bulk_create(
        [
            QcFlag(bureau_id=channel.bureau_id, channel=channel, qc_day_id=pk, **flag)
            for pk, item in replace
            for flag in item.flags
        ],
        batch_size=2000,
    )
    return sum(1 for item in found if item.summary["flagged"]), len(changed_ids)


def qc_check_days(
    channel: Channel,
    first_day: dt.date,
    last_day: dt.date,
    *,
    now: dt.datetime | None = None,
    params: checks.QcParams | None = None,
) -> QcRun:
    """Check ``channel``'s UTC days ``first_day``..``last_day`` and store the results (see
    the module docstring). ``now`` is the time of the check (samples after it are timestamp
    faults, days after it are not expected)."""
    started = time.monotonic()
    now = now or timezone.now()
    params = params or checks.QcParams()
    run = QcRun(channel=channel.pk)
    stored = qc_selectors.qc_stored_range(channel=channel)
    last_expected = now.astimezone(dt.UTC).date()
    if stored is not None:
        last_expected = max(last_expected, stored[1])
    last_day = min(last_day, last_expected)
    if last_day < first_day:
        return run
    days = [first_day + dt.timedelta(days=i) for i in range((last_day - first_day).days + 1)]
    per_day = DAY_SECONDS // int(channel.interval)
    chunk_days = max(1, CHUNK_SAMPLES // per_day)
    with transaction.atomic():
        for i in range(0, len(days), chunk_days):
            found = _check_chunk(channel, days[i : i + chunk_days], now, params)
            flagged, changed = _store(channel, found, now)
            run.days += len(found)
            run.flagged += flagged
            run.changed += changed
    run.seconds = round(time.monotonic() - started, 3)
    return run


def qc_check_channel(
    channel: Channel, *, since: dt.date | None = None, now: dt.datetime | None = None
) -> QcRun:
    """Check every day from the channel's first stored day (or ``since``) to its last."""
    stored = qc_selectors.qc_stored_range(channel=channel)
    if stored is None:
        return QcRun(channel=channel.pk)
    first = max(stored[0], since) if since else stored[0]
    return qc_check_days(channel, first, stored[1], now=now)


def qc_check_ranges(ranges: Iterable[tuple[int, dt.date, dt.date]]) -> dict[str, int]:
    """Check each ``(channel id, first, last)``; a channel that fails is logged and the
    others go on. Returns the counts of channels done and failed, days and flagged days."""
    done = failed = days = flagged = 0
    for channel_id, first, last in ranges:
        try:
            channel = qc_selectors.qc_channel(channel_id=channel_id)
            run = qc_check_days(channel, first, last)
        except Exception:  # one broken channel must not stop the network's check
            logger.exception("QC of channel %s (%s..%s) failed", channel_id, first, last)
            failed += 1
            continue
        done += 1
        days += run.days
        flagged += run.flagged
    return {"channels": done, "failed": failed, "days": days, "flagged": flagged}


def qc_new_days() -> dict[str, int]:
    """The hourly job: check the stored days not checked since they changed (and the
    missing days between them), channel by channel."""
    return qc_check_ranges(qc_selectors.qc_stale_ranges())


def qc_enqueue(spans: dict[int, tuple[dt.date, dt.date]]) -> None:
    """Queue the check of the days an import touched (called on commit of the import)."""
    from observations.tasks import qc_check_days_task

    for channel_id, (first, last) in spans.items():
        qc_check_days_task.delay(channel_id, first.isoformat(), last.isoformat())
