"""Reading quality control: a channel's checked days (:func:`qc_days`), the spans the
methods leave out (:func:`qc_excluded_spans`), and the system's reads that the QC run, its
beat job and its command need (marked ``@system_read`` with their reason)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Exists, Max, Min, OuterRef, Prefetch
from django.utils.translation import gettext as _

from observations.models import Channel, QcDay, QcFlag, QcReview, QcVerdict, SeriesDay
from portal.exceptions import NotFound
from portal.tenancy import system_read

if TYPE_CHECKING:
    import datetime as dt

    from django.db.models import QuerySet

    from portal.tenancy import Actor


def qc_days(*, actor: Actor | None, channel: Channel, start: dt.date, end: dt.date) -> QuerySet[QcDay]:
    """The channel's checked days from ``start`` to ``end`` (both included), by day, with
    their flags and their reviews (latest first) read along."""
    return (
        QcDay.objects.visible_to(actor)
        .filter(channel=channel, day__gte=start, day__lte=end)
        .prefetch_related(
            Prefetch("flags", queryset=QcFlag.objects.visible_to(actor).order_by("start", "id")),
            Prefetch(
                "reviews",
                queryset=QcReview.objects.visible_to(actor)
                .select_related("reviewed_by")
                .order_by("-reviewed_at", "-id"),
            ),
        )
        .order_by("day")
    )


def current_review(day: QcDay) -> QcReview | None:
    """The day's latest review that still applies (not superseded by a re-check), from the
    prefetched reviews of :func:`qc_days`."""
    return next((r for r in day.reviews.all() if not r.superseded), None)


@dataclass(frozen=True)
class ExcludedSpan:
    start: dt.datetime
    end: dt.datetime
    kind: str
    reason: str


# what the machine flags that a method must not read as signal until a person says "data OK"
MACHINE_EXCLUDED = (QcFlag.Kind.SPIKE, QcFlag.Kind.OUT_OF_RANGE, QcFlag.Kind.FLAT, QcFlag.Kind.TIMESTAMP)
PERSON_EXCLUDED = (QcVerdict.FAULT, QcVerdict.INTERFERENCE)


def qc_excluded_spans(
    *, actor: Actor | None, channel: Channel, start: dt.datetime, end: dt.datetime
) -> list[ExcludedSpan]:
    """The spans ``[start, end)`` that overlap the range and that the discipline methods
    leave out, by start:

    * the machine's spikes, out-of-range values, flat lines and timestamp faults, unless the
      current review of their day says "data OK" (gaps are gaps already; steps and
      departures are what methods look for and are left to a person);
    * every span a person judged a confirmed instrument fault or interference: a flag with
      that verdict (the machine's or a marked one, whatever its kind), and the span marked
      in such a review.

    ``reason`` says why: the flag's kind for the machine's, ``verdict`` or
    ``verdict:cause`` for a person's."""
    days = {d.pk: d for d in qc_days(actor=actor, channel=channel, start=start.date(), end=end.date())}
    out: list[ExcludedSpan] = []
    for day in days.values():
        review = current_review(day)
        day_ok = review is not None and review.verdict == QcVerdict.OK
        for flag in day.flags.all():
            if flag.end <= start or flag.start >= end:
                continue
            if flag.verdict in PERSON_EXCLUDED:
                reason = f"{flag.verdict}:{flag.cause}" if flag.cause else flag.verdict
                out.append(ExcludedSpan(flag.start, flag.end, flag.kind, reason))
            elif flag.kind in MACHINE_EXCLUDED and not day_ok and flag.verdict != QcVerdict.OK:
                out.append(ExcludedSpan(flag.start, flag.end, flag.kind, flag.kind))
        if review is not None and review.verdict in PERSON_EXCLUDED and review.start and review.end:
            marked_from, marked_until = review.start, review.end
            reason = f"{review.verdict}:{review.cause}" if review.cause else review.verdict
            if marked_until > start and marked_from < end:
                out.append(ExcludedSpan(marked_from, marked_until, QcFlag.Kind.MARKED, reason))
    out.sort(key=lambda s: (s.start, s.end, s.kind))
    return out


# --- the system's reads ----------------------------------------------------------------------


@system_read("the QC task and command hold a channel id and check it for its bureau, as the system")
def qc_channel(*, channel_id: int) -> Channel:
    channel = Channel.objects.select_related("station", "item", "bureau").filter(pk=channel_id).first()
    if channel is None:
        raise NotFound(_("No such channel."))
    return channel


@system_read("the QC run reads the stored days of the channel it checks, whatever the bureau")
def qc_stored_range(*, channel: Channel) -> tuple[dt.date, dt.date] | None:
    """The channel's first and last stored day (None when nothing is stored)."""
    found = SeriesDay.objects.filter(channel=channel).aggregate(first=Min("day"), last=Max("day"))
    if found["first"] is None:
        return None
    return found["first"], found["last"]


@system_read("the QC run reads the daily sums of the channel it checks for the long-term average")
def qc_daily_sums(*, channel: Channel, first: dt.date, last: dt.date) -> dict[dt.date, tuple[float, int]]:
    """``day -> (sum, samples present)`` of the stored days from ``first`` to ``last``."""
    rows = SeriesDay.objects.filter(channel=channel, day__gte=first, day__lte=last).values_list(
        "day", "sum", "n_present"
    )
    return {day: (float(total or 0.0), int(n)) for day, total, n in rows}


@system_read("the QC run replaces the checked days of the channel it checks")
def qc_days_for_update(*, channel: Channel, first: dt.date, last: dt.date) -> dict[dt.date, QcDay]:
    rows = (
        QcDay.objects.select_for_update()
        .filter(channel=channel, day__gte=first, day__lte=last)
        .prefetch_related("flags")
    )
    return {row.day: row for row in rows}


@system_read("the hourly QC job finds, in every bureau, the stored days not checked since they changed")
def qc_stale_ranges(*, limit: int = 10_000) -> list[tuple[int, dt.date, dt.date]]:
    """``(channel id, first day, last day)`` of the channels with stored days that have no
    check or changed after it; the range spans all of them (and the missing days between)."""
    checked = QcDay.objects.filter(
        channel_id=OuterRef("channel_id"), day=OuterRef("day"), checked_at__gte=OuterRef("updated_at")
    )
    rows = (
        SeriesDay.objects.filter(~Exists(checked))
        .values("channel_id")
        .annotate(first=Min("day"), last=Max("day"))
        .order_by("channel_id")[:limit]
    )
    return [(row["channel_id"], row["first"], row["last"]) for row in rows]


@system_read("the qc_series command picks channels by id, station code or date, as the system")
def qc_command_ranges(
    *, channel_id: int | None, station_code: str | None, since: dt.date | None
) -> list[tuple[Channel, dt.date, dt.date]]:
    """The channels to check and their stored ranges (from ``since`` on, when given)."""
    channels = Channel.objects.select_related("station", "item", "bureau").order_by("pk")
    if channel_id is not None:
        channels = channels.filter(pk=channel_id)
    if station_code:
        channels = channels.filter(station__code__iexact=station_code)
    ranges = (
        SeriesDay.objects.filter(channel__in=channels)
        .values("channel_id")
        .annotate(first=Min("day"), last=Max("day"))
    )
    by_channel = {row["channel_id"]: (row["first"], row["last"]) for row in ranges}
    out = []
    for channel in channels:
        if channel.pk not in by_channel:
            continue
        first, last = by_channel[channel.pk]
        if since is not None:
            first = max(first, since)
        if first <= last:
            out.append((channel, first, last))
    return out
