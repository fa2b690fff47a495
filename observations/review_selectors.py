"""Reads of the QC review (质控复核): the bureau's queue of flagged days, one day with its
flags and its reviews, the days of a channel a batch review may take along, and what waits
for the discipline experts.

The machine's checks (``qc_selectors``) read the same rows for the series API; this module is
the person's side. QC days have no published rows: a bureau reads its own (``visible_to``),
another bureau's day is not found.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, Min, OuterRef, Prefetch, Q, QuerySet

from portal.exceptions import NotFound
from portal.models import Role
from portal.tenancy import system_read

from .models import QcDay, QcFlag, QcReview

if TYPE_CHECKING:
    from collections.abc import Iterable

    from portal.tenancy import Actor

Kind = QcFlag.Kind
# how far around a day the day page offers the channel's other days for one batch review
BATCH_WINDOW = dt.timedelta(days=31)
BATCH_MAX = 62


def _with_counts(actor: Actor | None, qs: QuerySet[QcDay]) -> QuerySet[QcDay]:
    """Each day with ``n_<kind>``: its flags of each kind (one join, counted per kind), and its
    reviews read along (``day.reviews.all()``, the current one first)."""
    counts = {f"n_{kind}": Count("flags", filter=Q(flags__kind=kind)) for kind in Kind.values}
    reviews = QcReview.objects.visible_to(actor).select_related("reviewed_by")
    return qs.annotate(**counts).prefetch_related(Prefetch("reviews", queryset=reviews))


def qc_queue(
    *,
    actor: Actor | None,
    station: str | None = None,
    discipline: str | None = None,
    kind: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    status: str | None = None,
) -> QuerySet[QcDay]:
    """The days a person should look at, or did: flagged by the machine or reviewed, of the
    bureaus ``actor`` reads. Not yet reviewed first, then the latest day first.

    ``station`` is a station code, ``discipline`` a discipline code, ``kind`` a flag kind (days
    with at least one such flag), ``start``/``end`` UTC days (both included)."""
    qs = QcDay.objects.visible_to(actor).filter(Q(flagged=True) | Q(status=QcDay.Status.REVIEWED))
    if station:
        qs = qs.filter(channel__station__code=station)
    if discipline:
        qs = qs.filter(channel__discipline__code=discipline)
    if kind:
        qs = qs.filter(Exists(QcFlag.objects.visible_to(actor).filter(qc_day=OuterRef("pk"), kind=kind)))
    if start is not None:
        qs = qs.filter(day__gte=start)
    if end is not None:
        qs = qs.filter(day__lte=end)
    if status:
        qs = qs.filter(status=status)
    qs = qs.select_related("channel__station", "channel__item", "channel__discipline")
    # "auto" sorts before "reviewed": what waits comes first
    return _with_counts(actor, qs).order_by("status", "-day", "channel__station__code", "channel_id")


def qc_day_get(*, actor: Actor | None, qc_day_id: int) -> QcDay:
    """One QC day ``actor`` may read; NotFound for a missing day and another bureau's alike."""
    day = (
        _with_counts(actor, QcDay.objects.visible_to(actor))
        .select_related("channel__station", "channel__item", "channel__discipline", "bureau")
        .filter(pk=qc_day_id)
        .first()
    )
    if day is None:
        raise NotFound()
    return day


def qc_days_get_many(*, actor: Actor | None, ids: Iterable[int]) -> list[QcDay]:
    """The days ``ids`` the actor may read, in day order, whichever channel they are of (the
    caller checks they are one channel's: a day of another channel is bad input, not missing)."""
    return list(
        QcDay.objects.visible_to(actor)
        .select_related("channel__discipline", "channel__station", "channel__item")
        .filter(pk__in=list(ids))
        .order_by("day")
    )


def qc_batch_candidates(*, actor: Actor | None, qc_day: QcDay) -> list[QcDay]:
    """Other days of the same channel around ``qc_day`` that wait for a review (flagged, not yet
    reviewed): what the day page offers to judge together after a week of rain."""
    return list(
        QcDay.objects.visible_to(actor)
        .filter(
            channel_id=qc_day.channel_id,
            flagged=True,
            status=QcDay.Status.AUTO,
            day__gte=qc_day.day - BATCH_WINDOW,
            day__lte=qc_day.day + BATCH_WINDOW,
        )
        .exclude(pk=qc_day.pk)
        .order_by("day")[:BATCH_MAX]
    )


@system_read("the flags of a QC day the caller read through qc_day_get")
def qc_day_flags(*, qc_day: QcDay) -> QuerySet[QcFlag]:
    return QcFlag.objects.filter(qc_day=qc_day).order_by("start", "id")


@system_read("the reviews of a QC day the caller read through qc_day_get")
def qc_day_reviews(*, qc_day: QcDay) -> QuerySet[QcReview]:
    """Every review of the day, the current one first (the earlier ones are its history)."""
    return QcReview.objects.filter(qc_day=qc_day).select_related("reviewed_by")


@system_read("the current review of a QC day the caller read through a selector")
def qc_day_current_review(*, qc_day: QcDay) -> QcReview | None:
    return QcReview.objects.filter(qc_day=qc_day).select_related("reviewed_by").first()


@dataclass(frozen=True)
class QcWaiting:
    discipline: str  # code
    count: int
    since: dt.datetime | None  # when the oldest of them was checked


def qc_waiting(*, actor: Actor) -> list[QcWaiting]:
    """Flagged days not yet reviewed in the actor's bureau, per discipline the actor is an
    expert of (every discipline for an expert without one)."""
    if actor.bureau is None or not actor.has_role(Role.EXPERT):
        return []
    qs = QcDay.objects.visible_to(actor).filter(
        bureau_id=actor.bureau_id, flagged=True, status=QcDay.Status.AUTO
    )
    codes = actor.disciplines_for(Role.EXPERT)
    if codes is not None:
        qs = qs.filter(channel__discipline__code__in=sorted(codes))
    rows = (
        qs.values("channel__discipline__code")
        .annotate(count=Count("id"), since=Min("checked_at"))
        .order_by("channel__discipline__code")
    )
    return [QcWaiting(r["channel__discipline__code"], r["count"], r["since"]) for r in rows]


def qc_waiting_days(*, actor: Actor, limit: int = 8) -> list[QcDay]:
    """The oldest flagged days awaiting review that the expert may judge (the dashboard's list)."""
    if actor.bureau is None or not actor.has_role(Role.EXPERT):
        return []
    qs = QcDay.objects.visible_to(actor).filter(
        bureau_id=actor.bureau_id, flagged=True, status=QcDay.Status.AUTO
    )
    codes = actor.disciplines_for(Role.EXPERT)
    if codes is not None:
        qs = qs.filter(channel__discipline__code__in=sorted(codes))
    return list(qs.select_related("channel__station", "channel__item").order_by("day", "channel_id")[:limit])
