"""What grants open, model by model: the grant sources ``portal.tenancy.visible_to`` reads.

Registered from ``SharingConfig.ready()`` with ``portal.grants.register_grant_source``, one
function per model a dataset holds rows of:

==========================  ==============================================================
model                       opened to a bureau by
==========================  ==============================================================
``catalog.Event``           the owner's catalog (unpublished events too; deleted ones never)
``observations.Station``    a station's series, or the series of an item the station records
``observations.Channel``    the same, narrowed to the granted channels
``observations.SeriesDay``  the same, narrowed to the granted channels and period
``products.ProductRun``     a method's results (or one schedule's): succeeded runs
``reports.TopicReport``     special-topic reports (published only: ready)
``trends.TrendReport``      monthly trend reports (published only: issued, archived)
``consultations.ConsultationReport``  consultation reports (published only)
==========================  ==============================================================

Each function returns one ``Q`` of SQL, no query of its own: an uncorrelated ``bureau_id IN
(owners that open anything of these kinds to the actor's bureau)`` (computed once per
statement, it leaves the rows of every other bureau at once), and per row an ``EXISTS`` over
the dataset (open to all) or over the bureau's live grants (``grant_live_idx``: grantee,
dataset) with the grant's period and channels. A grant ends when its ``expires_at`` passes,
checked against the clock each time the query is built, so no job has to end it; a revoked
grant has ``revoked_at``.

The period of a grant bounds each row by its own time: an event's origin time, a series
day (a UTC day, as stored), a run's or a report's creation, a trend report's month.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import BooleanField, Exists, F, Func, OuterRef, Q
from django.utils import timezone

from .models import Dataset, DatasetKind, Grant, Level, SharedReportKind

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from portal.tenancy import Actor


class _IsOneOf(Func):
    """``value = ANY(array)``: the row's channel is one of the grant's channels."""

    template = "(%(expressions)s))"
    arg_joiner = " = ANY("
    output_field = BooleanField()


def _live_grants(actor: Actor, *kinds: str) -> QuerySet[Grant]:
    """The live grants to the actor's bureau of datasets of ``kinds`` (their owners' rows)."""
    return Grant.objects.live(timezone.now()).filter(
        grantee_id=actor.bureau_id, dataset__kind__in=kinds, dataset__is_active=True
    )


def _open(*kinds: str) -> QuerySet[Dataset]:
    return Dataset.objects.filter(level=Level.OPEN, kind__in=kinds, is_active=True)


def _owners(actor: Actor, *kinds: str) -> Q:
    """Rows of the bureaus that open something of ``kinds`` to the actor: to all, or by a
    live grant (an uncorrelated subquery: the planner runs it once, hashed)."""
    granted = _live_grants(actor, *kinds).values("dataset_id")
    owners = (
        Dataset.objects.filter(kind__in=kinds, is_active=True)
        .filter(Q(level=Level.OPEN) | Q(pk__in=granted))
        .exclude(bureau_id=actor.bureau_id or 0)
        .values("bureau_id")
    )
    return Q(bureau_id__in=owners)


def _at(grants: QuerySet[Grant], column: str) -> QuerySet[Grant]:
    """Grants whose period holds the row's instant ``column``."""
    return grants.filter(
        Q(starts_at__isnull=True) | Q(starts_at__lte=OuterRef(column)),
        Q(ends_at__isnull=True) | Q(ends_at__gt=OuterRef(column)),
    )


def _on(grants: QuerySet[Grant], column: str) -> QuerySet[Grant]:
    """Grants whose period holds the row's date ``column``."""
    return grants.filter(
        Q(period_start__isnull=True) | Q(period_start__lte=OuterRef(column)),
        Q(period_end__isnull=True) | Q(period_end__gte=OuterRef(column)),
    )


def _of_channel(grants: QuerySet[Grant], column: str) -> QuerySet[Grant]:
    """Grants of every channel of their dataset, or naming the row's channel ``column``."""
    return grants.filter(Q(channel_ids=[]) | Q(_IsOneOf(OuterRef(column), F("channel_ids"))))


def _any(*conditions: Any) -> Q:
    combined = Q()
    for condition in conditions:
        combined |= Q(condition)
    return combined


def events_opened(actor: Actor) -> Q | None:
    """``catalog.Event``: the owner's catalog within the grant's period, drafts included."""
    if actor.bureau_id is None:
        return None
    kind = DatasetKind.CATALOG
    grants = _at(_live_grants(actor, kind).filter(dataset__bureau_id=OuterRef("bureau_id")), "origin_time")
    opened = _any(Exists(_open(kind).filter(bureau_id=OuterRef("bureau_id"))), Exists(grants))
    return _owners(actor, kind) & ~Q(status="deleted") & opened


def stations_opened(actor: Actor) -> Q | None:
    """``observations.Station``: a station whose series, or one of whose items, is opened
    (whatever the channels: the station is where its channels are found)."""
    if actor.bureau_id is None:
        return None
    by_station = {"dataset__station_id": OuterRef("pk")}
    by_item = {
        "dataset__bureau_id": OuterRef("bureau_id"),
        "dataset__item__channels__station_id": OuterRef("pk"),
    }
    station, item = DatasetKind.STATION_SERIES, DatasetKind.ITEM_SERIES
    opened = _any(
        Exists(_open(station).filter(station_id=OuterRef("pk"))),
        Exists(
            _open(item).filter(bureau_id=OuterRef("bureau_id"), item__channels__station_id=OuterRef("pk"))
        ),
        Exists(_live_grants(actor, station).filter(**by_station)),
        Exists(_live_grants(actor, item).filter(**by_item)),
    )
    return _owners(actor, station, item) & opened


def channels_opened(actor: Actor) -> Q | None:
    """``observations.Channel``: a channel of an opened station or item, and of the grant's
    channels."""
    if actor.bureau_id is None:
        return None
    station, item = DatasetKind.STATION_SERIES, DatasetKind.ITEM_SERIES
    by_station = _live_grants(actor, station).filter(dataset__station_id=OuterRef("station_id"))
    by_item = _live_grants(actor, item).filter(
        dataset__bureau_id=OuterRef("bureau_id"), dataset__item_id=OuterRef("item_id")
    )
    opened = _any(
        Exists(_open(station).filter(station_id=OuterRef("station_id"))),
        Exists(_open(item).filter(bureau_id=OuterRef("bureau_id"), item_id=OuterRef("item_id"))),
        Exists(_of_channel(by_station, "pk")),
        Exists(_of_channel(by_item, "pk")),
    )
    return _owners(actor, station, item) & opened


def series_days_opened(actor: Actor) -> Q | None:
    """``observations.SeriesDay``: the days of a granted channel within the grant's period."""
    if actor.bureau_id is None:
        return None
    station, item = DatasetKind.STATION_SERIES, DatasetKind.ITEM_SERIES
    by_station = _live_grants(actor, station).filter(dataset__station__channels__id=OuterRef("channel_id"))
    by_item = _live_grants(actor, item).filter(
        dataset__bureau_id=OuterRef("bureau_id"), dataset__item__channels__id=OuterRef("channel_id")
    )
    opened = _any(
        Exists(_open(station).filter(station__channels__id=OuterRef("channel_id"))),
        Exists(
            _open(item).filter(bureau_id=OuterRef("bureau_id"), item__channels__id=OuterRef("channel_id"))
        ),
        Exists(_on(_of_channel(by_station, "channel_id"), "day")),
        Exists(_on(_of_channel(by_item, "channel_id"), "day")),
    )
    return _owners(actor, station, item) & opened


def product_runs_opened(actor: Actor) -> Q | None:
    """``products.ProductRun``: the succeeded runs of a method (or of one schedule)."""
    if actor.bureau_id is None:
        return None
    kind = DatasetKind.PRODUCT
    same = {"bureau_id": OuterRef("bureau_id"), "method": OuterRef("method")}
    schedule = Q(for_schedule=False) | Q(schedule_id=OuterRef("schedule_id"))
    grants = _live_grants(actor, kind).filter(
        Q(dataset__for_schedule=False) | Q(dataset__schedule_id=OuterRef("schedule_id")),
        dataset__bureau_id=OuterRef("bureau_id"),
        dataset__method=OuterRef("method"),
    )
    opened = _any(Exists(_open(kind).filter(schedule, **same)), Exists(_at(grants, "created_at")))
    return _owners(actor, kind) & Q(status="succeeded") & opened


def _reports_opened(actor: Actor, report_kind: str, *, at: str = "", on: str = "") -> Q | None:
    if actor.bureau_id is None:
        return None
    kind = DatasetKind.REPORTS
    grants = _live_grants(actor, kind).filter(
        dataset__bureau_id=OuterRef("bureau_id"), dataset__report_kind=report_kind
    )
    grants = _at(grants, at) if at else _on(grants, on)
    ours = _open(kind).filter(bureau_id=OuterRef("bureau_id"), report_kind=report_kind)
    owners = _owners(actor, kind)
    return owners & _any(Exists(ours), Exists(grants))


def topic_reports_opened(actor: Actor) -> Q | None:
    """``reports.TopicReport`` (tenancy keeps the published ones: ready)."""
    return _reports_opened(actor, SharedReportKind.TOPIC, at="created_at")


def trend_reports_opened(actor: Actor) -> Q | None:
    """``trends.TrendReport`` by their month (tenancy keeps the issued and archived)."""
    return _reports_opened(actor, SharedReportKind.TREND, on="month")


def consultation_reports_opened(actor: Actor) -> Q | None:
    """``consultations.ConsultationReport`` (tenancy keeps the issued and archived)."""
    return _reports_opened(actor, SharedReportKind.CONSULTATION, at="created_at")


def register() -> None:
    """Fill ``portal.grants`` (from ``SharingConfig.ready()``)."""
    from catalog.models import Event
    from consultations.models import ConsultationReport
    from observations.models import Channel, SeriesDay, Station
    from portal.grants import register_grant_source
    from products.models import ProductRun
    from reports.models import TopicReport
    from trends.models import TrendReport

    register_grant_source(Event, events_opened)
    register_grant_source(Station, stations_opened)
    register_grant_source(Channel, channels_opened)
    register_grant_source(SeriesDay, series_days_opened)
    register_grant_source(ProductRun, product_runs_opened)
    register_grant_source(TopicReport, topic_reports_opened, published_only=True)
    register_grant_source(TrendReport, trend_reports_opened, published_only=True)
    register_grant_source(ConsultationReport, consultation_reports_opened, published_only=True)
