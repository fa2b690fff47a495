"""Reads of data availability (数据完整率): the matrix of channels x UTC days of a month and
each station's mean over the last week, both from the machine's checks (``QcDay``).

Whose: QC results are the bureau's own (``QcDay`` has no published rows), so these reads
start from ``QcDay.objects.visible_to(actor)`` and the channels of the bureaus whose checks
the actor reads (``_qc_channels``): a national unit that sees every station on the map sees
no other bureau's availability, and another bureau's channels are never counted.

The colour classes (``availability_class``) are decided here once and used by the matrix,
the map and the monthly archive alike.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.exceptions import InvalidInput, NotFound
from portal.tenancy import system_read

from .models import Channel, Instrument, MasterDataChange, QcArchive, QcDay, QcFlag, QcReview, Station

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from portal.tenancy import Actor

# The colour thresholds (%), highest first: at or above 99 the day is good, at or above 90
# fair, above 0 poor; 0 or no check at all is "none" (grey).
GOOD, FAIR = 99.0, 90.0
WEEK_DAYS = 7
EARLIEST_YEAR, LATEST_YEAR = 1900, 2100


def availability_class(value: float | None) -> str:
    """The CSS class of an availability figure (%): ``av-good``, ``av-fair``, ``av-poor`` or
    ``av-none`` (0 or unknown)."""
    if value is None or value <= 0:
        return "av-none"
    if value >= GOOD:
        return "av-good"
    if value >= FAIR:
        return "av-fair"
    return "av-poor"


def utc_today() -> dt.date:
    """QC days are UTC days (the storage's): today's UTC date, not Beijing's."""
    return timezone.now().astimezone(dt.UTC).date()


def month_parse(value: str | None, *, field_name: str = "month") -> dt.date:
    """``YYYY-MM`` as the first day of that month; absent or empty: the current UTC month.
    Raises InvalidInput naming ``field_name`` for anything else."""
    if value is None or value == "":
        return utc_today().replace(day=1)
    text = value.strip()
    try:
        year_text, month_text = text.split("-")
        if len(year_text) != 4 or len(month_text) != 2:
            raise ValueError(text)
        first = dt.date(int(year_text), int(month_text), 1)
    except ValueError:
        raise InvalidInput(
            _("%(field)s: expected a month as YYYY-MM, e.g. 2026-11.") % {"field": field_name},
            field=field_name,
        ) from None
    if not EARLIEST_YEAR <= first.year < LATEST_YEAR:
        raise InvalidInput(
            _("%(field)s must be between %(first)d and %(last)d.")
            % {"field": field_name, "first": EARLIEST_YEAR, "last": LATEST_YEAR - 1},
            field=field_name,
        )
    return first


def month_days(month: dt.date) -> list[dt.date]:
    """Every day of the month that starts on ``month``."""
    following = next_month(month)
    return [month + dt.timedelta(days=n) for n in range((following - month).days)]


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def previous_month(month: dt.date) -> dt.date:
    return (month - dt.timedelta(days=1)).replace(day=1)


def _qc_channels(actor: Actor | None) -> QuerySet[Channel]:
    """Channels whose QC results ``actor`` reads: their bureau's own (the system admin: all)."""
    channels = Channel.objects.visible_to(actor)
    if actor is None:
        return channels.none()
    if actor.is_system_admin:
        return channels
    return channels.filter(bureau_id=actor.bureau_id)


def availability_channels(
    *,
    actor: Actor | None,
    station: str | None = None,
    discipline: str | None = None,
    item: str | None = None,
) -> QuerySet[Channel]:
    """The channels of the matrix: those whose checks ``actor`` reads, grouped by station,
    discipline and item; ``station`` a station code, ``discipline`` and ``item`` codes."""
    qs = _qc_channels(actor).select_related("station", "item", "discipline")
    if station:
        qs = qs.filter(station__code=station)
    if discipline:
        qs = qs.filter(discipline__code=discipline)
    if item:
        qs = qs.filter(item__code=item)
    return qs.order_by("station__code", "discipline__order", "item__order", "orientation", "pk")


@dataclass(frozen=True)
class AvailabilityCell:
    qc_id: int
    availability: float
    flagged: bool
    reviewed: bool

    @property
    def css(self) -> str:
        return availability_class(self.availability)


@dataclass
class AvailabilityRow:
    channel: Channel
    cells: list[AvailabilityCell | None]


@dataclass
class AvailabilityMatrix:
    month: dt.date
    days: list[dt.date]
    rows: list[AvailabilityRow] = field(default_factory=list)


def availability_matrix(
    *, actor: Actor | None, channels: Sequence[Channel], month: dt.date
) -> AvailabilityMatrix:
    """One row per channel of ``channels`` (a page the caller listed through
    :func:`availability_channels`), one cell per UTC day of ``month``: None where no check
    exists. One query for all cells."""
    days = month_days(month)
    index = {day: n for n, day in enumerate(days)}
    rows = {c.pk: AvailabilityRow(channel=c, cells=[None] * len(days)) for c in channels}
    checks = (
        QcDay.objects.visible_to(actor)
        .filter(channel_id__in=list(rows), day__gte=days[0], day__lte=days[-1])
        .values_list("pk", "channel_id", "day", "availability", "flagged", "status")
    )
    for qc_id, channel_id, day, availability, flagged, status in checks:
        rows[channel_id].cells[index[day]] = AvailabilityCell(
            qc_id=qc_id,
            availability=availability,
            flagged=flagged,
            reviewed=status == QcDay.Status.REVIEWED,
        )
    return AvailabilityMatrix(month=month, days=days, rows=list(rows.values()))


def week_window(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The last ``WEEK_DAYS`` whole UTC days before today (today is not over yet)."""
    today = today or utc_today()
    return today - dt.timedelta(days=WEEK_DAYS), today - dt.timedelta(days=1)


@dataclass(frozen=True)
class StationAvailability:
    value: float | None  # mean %, None: no active channel, or not the actor's to see
    channels: int

    @property
    def css(self) -> str:
        return availability_class(self.value)


def station_week_availability(
    *, actor: Actor | None, stations: Iterable[Station], today: dt.date | None = None
) -> dict[int, StationAvailability]:
    """Each station's mean availability over its active channels and the last week's UTC days.

    A channel-day with no check counts as 0: a day that is not checked is a day whose data
    did not arrive (the machine checks every day that has data), and the map is there to
    show exactly that. So the mean is the sum of the checks' figures over
    (active channels x ``WEEK_DAYS``). A station without active channels, or whose checks
    the actor does not read, has None (grey). Two aggregate queries whatever the number of
    stations: the active channels per station, the sum of the week's checks per station."""
    ids = [s.pk for s in stations]
    start, end = week_window(today)
    counts = dict(
        _qc_channels(actor)
        .filter(station_id__in=ids, is_active=True)
        .values_list("station_id")
        .annotate(n=Count("pk"))
        .values_list("station_id", "n")
    )
    sums = dict(
        QcDay.objects.visible_to(actor)
        .filter(channel__station_id__in=ids, channel__is_active=True, day__gte=start, day__lte=end)
        .values_list("channel__station_id")
        .annotate(total=Sum("availability"))
        .values_list("channel__station_id", "total")
    )
    result = {}
    for pk in ids:
        n = counts.get(pk, 0)
        value = (sums.get(pk) or 0.0) / (n * WEEK_DAYS) if n else None
        result[pk] = StationAvailability(value=None if value is None else round(value, 1), channels=n)
    return result


def channel_month_summary(
    *, actor: Actor | None, channels: Sequence[Channel], month: dt.date
) -> dict[int, dict[str, float | int]]:
    """Per channel of ``channels``: the month's mean availability (over every day of the
    month; a day with no check counts 0, as on the map), the days checked, flagged and
    reviewed, and the gaps (runs of missing samples) counted."""
    days = month_days(month)
    rows = (
        QcDay.objects.visible_to(actor)
        .filter(channel__in=list(channels), day__gte=days[0], day__lte=days[-1])
        .values_list("channel_id")
        .annotate(
            total=Sum("availability"),
            checked=Count("pk"),
            flagged=Count("pk", filter=Q(flagged=True)),
            reviewed=Count("pk", filter=Q(status=QcDay.Status.REVIEWED)),
            gaps=Sum("gaps"),
        )
        .values_list("channel_id", "total", "checked", "flagged", "reviewed", "gaps")
    )
    return {
        channel_id: {
            "mean": round(total / len(days), 1),
            "checked": checked,
            "flagged": flagged,
            "reviewed": reviewed,
            "gaps": gaps or 0,
        }
        for channel_id, total, checked, flagged, reviewed, gaps in rows
    }


# --- the monthly QC archive ------------------------------------------------------------------


def qc_archive_list(*, actor: Actor | None, station: Station) -> QuerySet[QcArchive]:
    """The QC archives of ``station`` that ``actor`` reads (the station's bureau), newest first."""
    return (
        QcArchive.objects.visible_to(actor)
        .filter(station=station)
        .select_related("document", "requested_by")
        .order_by("-month")
    )


def qc_archive_get(*, actor: Actor | None, archive_id: int) -> QcArchive:
    """An archive ``actor`` reads; NotFound otherwise (missing or another bureau's)."""
    archive = (
        QcArchive.objects.visible_to(actor)
        .select_related("station", "document", "bureau")
        .filter(pk=archive_id)
        .first()
    )
    if archive is None:
        raise NotFound()
    return archive


@system_read("the monthly beat job archives every bureau's active stations")
def qc_archive_stations() -> QuerySet[Station]:
    return Station.objects.filter(status=Station.Status.ACTIVE).order_by("code")


@system_read("the worker renders an archive it holds the id of")
def qc_archive_for_worker(*, archive_id: int) -> QcArchive | None:
    return QcArchive.objects.select_related("station", "bureau").filter(pk=archive_id).first()


@system_read("the content of an archive the worker holds: its own station's rows")
def qc_archive_content(*, archive: QcArchive) -> dict[str, Any]:
    """What the archive PDF shows for ``archive.station`` and ``archive.month`` (UTC days):
    the matrix, per-channel summaries, flags by kind, reviews, instrument changes."""
    station = archive.station
    month = archive.month
    days = month_days(month)
    first, last = days[0], days[-1]
    after = dt.datetime.combine(next_month(month), dt.time(), tzinfo=dt.UTC)
    since = dt.datetime.combine(month, dt.time(), tzinfo=dt.UTC)
    channels = list(
        Channel.objects.filter(station=station)
        .select_related("item", "discipline")
        .order_by("discipline__order", "item__order", "orientation", "pk")
    )
    index = {day: n for n, day in enumerate(days)}
    cells: dict[int, list[float | None]] = {c.pk: [None] * len(days) for c in channels}
    checks = QcDay.objects.filter(channel__station=station, day__gte=first, day__lte=last).values_list(
        "channel_id", "day", "availability", "flagged", "status", "gaps"
    )
    summary: dict[int, dict[str, Any]] = {
        c.pk: {"total": 0.0, "checked": 0, "flagged": 0, "reviewed": 0, "gaps": 0, "poor": 0}
        for c in channels
    }
    for channel_id, day, availability, flagged, status, gaps in checks:
        cells[channel_id][index[day]] = availability
        s = summary[channel_id]
        s["total"] += availability
        s["checked"] += 1
        s["flagged"] += int(flagged)
        s["reviewed"] += int(status == QcDay.Status.REVIEWED)
        s["gaps"] += gaps
        s["poor"] += int(availability < FAIR)
    for s in summary.values():
        s["mean"] = round(s["total"] / len(days), 1)
        s["missing"] = len(days) - s["checked"]
    flag_counts: dict[int, dict[str, int]] = {c.pk: {} for c in channels}
    for channel_id, kind, n in (
        QcFlag.objects.filter(channel__station=station, qc_day__day__gte=first, qc_day__day__lte=last)
        .values_list("channel_id", "kind")
        .annotate(n=Count("pk"))
        .values_list("channel_id", "kind", "n")
    ):
        flag_counts[channel_id][kind] = n
    reviews = list(
        QcReview.objects.filter(
            qc_day__channel__station=station, qc_day__day__gte=first, qc_day__day__lte=last
        )
        .select_related("qc_day__channel__item", "reviewed_by")
        .order_by("qc_day__day", "reviewed_at", "pk")
    )
    instruments = list(
        Instrument.objects.filter(station=station)
        .filter(
            Q(installed_on__gte=first, installed_on__lte=last)
            | Q(removed_on__gte=first, removed_on__lte=last)
        )
        .order_by("installed_on", "pk")
    )
    changes = list(
        MasterDataChange.objects.filter(
            station=station,
            state=MasterDataChange.State.APPROVED,
            decided_at__gte=since,
            decided_at__lt=after,
        )
        .select_related("proposed_by", "decided_by")
        .order_by("decided_at", "pk")
    )
    return {
        "station": station,
        "month": month,
        "days": days,
        "channels": channels,
        "cells": cells,
        "summary": summary,
        "flag_counts": flag_counts,
        "reviews": reviews,
        "instruments": instruments,
        "changes": changes,
    }


@system_read("the watchdog's sweep of abandoned archive jobs over every bureau")
def qc_archives_open_before(*, running_before: dt.datetime, queued_before: dt.datetime) -> list[int]:
    return list(
        QcArchive.objects.filter(
            Q(status=QcArchive.Status.RUNNING, updated_at__lt=running_before)
            | Q(status=QcArchive.Status.QUEUED, updated_at__lt=queued_before)
        ).values_list("pk", flat=True)
    )
