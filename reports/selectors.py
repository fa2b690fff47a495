"""Reads of the reports app: topic reports, their pushes, GIS layers, towns, and what a
report is built from.

Every tenant read starts from ``visible_to(actor)``; the ``*_for_worker`` reads
are for Celery tasks and hooks that hold an id and act for the system.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.db.models.functions import Distance, GeoFunc
from django.contrib.gis.geos import Point, Polygon
from django.contrib.gis.measure import D
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.arrival import Outcome
from portal.exceptions import NotFound
from portal.tenancy import bureau_reader, system_read
from printing.geodesy import Offset, offset

from .models import GisFeature, GisLayer, PushAttempt, TopicReport, TopicReportSettings, Town

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from catalog.models import Event
    from portal.models import Bureau
    from portal.tenancy import Actor


class ClosestPoint(GeoFunc):
    """``ST_ClosestPoint(geometry, point)``: where a line or polygon comes nearest the epicentre."""

    function = "ST_ClosestPoint"
    arity = 2
    geom_param_pos = (0, 1)

    @property
    def output_field(self) -> GeometryField:
        return GeometryField(srid=4326)


def _box_around(lon: float, lat: float, radius_km: float) -> Polygon:
    """A lon/lat box that contains the circle of ``radius_km``: an index-friendly first cut."""
    dlat = radius_km / 110.0 + 0.01
    dlon = radius_km / (110.0 * max(math.cos(math.radians(min(abs(lat) + dlat, 89.9))), 0.01)) + 0.01
    return Polygon.from_bbox((lon - dlon, lat - dlat, lon + dlon, lat + dlat))


# --- topic reports --------------------------------------------------------------------


def topic_report_list(*, actor: Actor | None) -> QuerySet[TopicReport]:
    """Topic reports ``actor`` may read: their bureau's, and every bureau's ready ones for
    national units and centres; newest first."""
    return (
        TopicReport.objects.visible_to(actor).select_related("event", "bureau").order_by("-created_at", "-id")
    )


def topic_report_search(
    *,
    actor: Actor | None,
    month: dt.date | None = None,
    month_of_year: int | None = None,
    bureau: str = "",
    status: str = "",
    text: str = "",
) -> QuerySet[TopicReport]:
    """Topic reports ``actor`` may read for the report list across kinds: of the month
    (Beijing time) or the month of the year of their quake, of a bureau (code), in a
    state, with ``text`` in the quake's place; newest first."""
    from portal.timefmt import BEIJING

    qs = topic_report_list(actor=actor)
    if month is not None:
        start = dt.datetime.combine(month.replace(day=1), dt.time.min, tzinfo=BEIJING)
        end = (start + dt.timedelta(days=32)).replace(day=1)
        qs = qs.filter(event__origin_time__gte=start, event__origin_time__lt=end)
    if month_of_year is not None:
        qs = qs.filter(event__origin_time__month=month_of_year)
    if bureau:
        qs = qs.filter(bureau__code=bureau)
    if status:
        qs = qs.filter(status=status)
    if text:
        qs = qs.filter(event__location_name__icontains=text)
    return qs.order_by("-updated_at", "-id")


def topic_report_get(*, actor: Actor | None, report_id: int) -> TopicReport:
    """One topic report; NotFound for missing and not-visible alike."""
    try:
        return topic_report_list(actor=actor).get(pk=report_id)
    except TopicReport.DoesNotExist:
        raise NotFound from None


def reports_for_event(*, actor: Actor | None, event: Event) -> QuerySet[TopicReport]:
    """The topic reports of ``event`` that ``actor`` may read, newest version first."""
    return topic_report_list(actor=actor).filter(event=event).order_by("-event_version", "bureau__code")


def event_outcomes(actor: Actor | None, event: Event) -> list[Outcome]:
    """The event page's list of what was made of the event: its reports the actor may read."""
    return [
        Outcome(kind=str(_("special-topic report")), title=str(report), url=report.get_absolute_url())
        for report in reports_for_event(actor=actor, event=event)
    ]


def topic_report_versions(*, actor: Actor | None, report: TopicReport) -> QuerySet[TopicReport]:
    """Every version of the report (same bureau and event) that ``actor`` may read."""
    return topic_report_list(actor=actor).filter(bureau_id=report.bureau_id, event_id=report.event_id)


@system_read("a worker or hook holding an id; no person acts")
def topic_report_get_for_worker(*, report_id: int) -> TopicReport | None:
    return TopicReport.objects.select_related("event", "bureau").filter(pk=report_id).first()


@system_read("a hook finding the bureau's report of an event version")
def topic_report_find(*, bureau_id: int, event_id: int, event_version: int) -> TopicReport | None:
    return TopicReport.objects.filter(
        bureau_id=bureau_id, event_id=event_id, event_version=event_version
    ).first()


@system_read("rows of a report the caller already read")
def push_attempt_list(*, report: TopicReport) -> QuerySet[PushAttempt]:
    """The pushes of a report the caller already may read."""
    return PushAttempt.objects.filter(report=report).order_by("channel")


def push_attempt_get(*, actor: Actor | None, attempt_id: int) -> PushAttempt:
    try:
        return PushAttempt.objects.editable_by(actor).select_related("report").get(pk=attempt_id)
    except PushAttempt.DoesNotExist:
        raise NotFound from None


@system_read("a worker or hook holding an id; no person acts")
def push_attempt_get_for_worker(*, attempt_id: int) -> PushAttempt | None:
    return (
        PushAttempt.objects.select_related("report", "report__event", "report__bureau")
        .filter(pk=attempt_id)
        .first()
    )


def push_attempt_failed_list(*, actor: Actor | None) -> QuerySet[PushAttempt]:
    """Failed and retrying pushes of the actor's own bureau, newest first."""
    return (
        PushAttempt.objects.editable_by(actor)
        .filter(status__in=[PushAttempt.Status.FAILED, PushAttempt.Status.RETRYING])
        .select_related("report", "report__event")
        .order_by("-updated_at")
    )


# --- settings -------------------------------------------------------------------------


@system_read("the bureau's own settings, for the system and the settings page")
def topic_report_settings_for(*, bureau: Bureau) -> TopicReportSettings:
    """The bureau's settings; an unsaved row with the defaults when it has none."""
    return TopicReportSettings.objects.filter(bureau=bureau).first() or TopicReportSettings(bureau=bureau)


def topic_report_settings_get(*, actor: Actor) -> TopicReportSettings:
    if actor.bureau is None:
        raise NotFound
    return topic_report_settings_for(bureau=actor.bureau)


# --- what a report is built from --------------------------------------------------------


def event_for_worker(*, event_id: int) -> Event | None:
    from catalog.selectors import event_get_for_worker

    return event_get_for_worker(event_id=event_id)


def event_version_received_at(*, event: Event) -> dt.datetime:
    """When the event's current version reached the portal (its version row's creation)."""
    from catalog.models import EventVersion

    created = (
        EventVersion.objects.filter(event=event, version=event.version)
        .values_list("created_at", flat=True)
        .first()
    )
    return created or event.updated_at or timezone.now()


def event_version_origin(*, event: Event) -> str:
    """What the event's current version came from (quick_report, import, manual, demo)."""
    from catalog.models import EventVersion

    return (
        EventVersion.objects.filter(event=event, version=event.version)
        .values_list("data_origin", flat=True)
        .first()
        or ""
    )


@dataclass
class Nearby:
    """A place near the epicentre and where it lies."""

    obj: Any
    offset: Offset  # from the epicentre to the place
    longitude: float
    latitude: float


def towns_near(*, lon: float, lat: float, radius_km: float, limit: int = 200) -> list[Nearby]:
    """Towns within ``radius_km`` of a point, nearest first (indexed ST_DWithin on geography;
    the distance shown is the haversine one, see printing.geodesy)."""
    point = Point(lon, lat, srid=4326)
    rows = Town.objects.filter(location__dwithin=(point, D(km=radius_km * 1.01)))
    found = []
    for town in rows:
        place = offset(lon, lat, town.location.x, town.location.y)
        if place.distance_km <= radius_km:
            found.append(Nearby(town, place, town.location.x, town.location.y))
    found.sort(key=lambda n: n.offset.distance_km)
    return found[:limit]


@dataclass
class LayerSummary:
    layer: GisLayer
    count: int
    nearest: list[Nearby]


@system_read("a report built for the bureau reads its own layers")
def layers_near(
    *, bureau_id: int, lon: float, lat: float, radius_km: float, nearest: int = 3
) -> list[LayerSummary]:
    """For each of the bureau's layers: how many features lie within ``radius_km`` of the
    point and the nearest few with distance and direction."""
    point = Point(lon, lat, srid=4326)
    features = (
        GisFeature.objects.filter(bureau_id=bureau_id, geometry__bboverlaps=_box_around(lon, lat, radius_km))
        .annotate(distance=Distance("geometry", point), closest=ClosestPoint("geometry", point))
        .filter(distance__lte=D(km=radius_km))
        .select_related("layer")
        .order_by("layer_id", "distance")
    )
    summaries: dict[int, LayerSummary] = {}
    for layer in GisLayer.objects.filter(bureau_id=bureau_id).order_by("kind", "name"):
        summaries[layer.pk] = LayerSummary(layer=layer, count=0, nearest=[])
    for feature in features:
        summary = summaries[feature.layer_id]
        summary.count += 1
        if len(summary.nearest) < nearest:
            closest = feature.closest
            summary.nearest.append(
                Nearby(feature, offset(lon, lat, closest.x, closest.y), closest.x, closest.y)
            )
    return list(summaries.values())


def _events_the_bureau_reads(bureau: Bureau) -> QuerySet[Event]:
    """Events the bureau reads (tenancy decides: published, or its own), deleted ones left
    out: a report is built for the bureau, not for whoever asked."""
    from catalog.models import EventStatus
    from catalog.selectors import event_list

    return event_list(actor=bureau_reader(bureau)).exclude(status=EventStatus.DELETED)


def historical_events(
    *,
    bureau: Bureau,
    event: Event,
    radius_km: float,
    min_magnitude: float,
    since: dt.date,
) -> QuerySet[Event]:
    """Earlier events within ``radius_km`` of ``event`` at or above ``min_magnitude`` since
    ``since``, that the bureau may read (published, or its own), newest first."""
    from catalog.selectors import within_km

    start = dt.datetime.combine(since, dt.time(0, 0), tzinfo=dt.UTC)
    readable = _events_the_bureau_reads(bureau)
    return (
        within_km(readable, lon=event.longitude, lat=event.latitude, radius_km=radius_km)
        .exclude(pk=event.pk)
        .filter(origin_time__gte=start, origin_time__lt=event.origin_time, magnitude__gte=min_magnitude)
        .order_by("-origin_time", "-id")
    )


def largest_events_near(*, bureau: Bureau, event: Event, radius_km: float, limit: int = 5) -> QuerySet[Event]:
    """The largest earlier events within ``radius_km`` ever recorded in the catalog."""
    from catalog.selectors import within_km

    readable = _events_the_bureau_reads(bureau)
    return (
        within_km(readable, lon=event.longitude, lat=event.latitude, radius_km=radius_km)
        .exclude(pk=event.pk)
        .filter(magnitude__isnull=False, origin_time__lt=event.origin_time)
        .order_by("-magnitude", "-origin_time")[:limit]
    )


# --- GIS layers -------------------------------------------------------------------------


def gis_layer_list(*, actor: Actor | None) -> QuerySet[GisLayer]:
    """The bureau's own layers (never read outside the bureau)."""
    return GisLayer.objects.visible_to(actor).select_related("bureau", "uploaded_by").order_by("kind", "name")


def gis_layer_get(*, actor: Actor | None, layer_id: int) -> GisLayer:
    try:
        return gis_layer_list(actor=actor).get(pk=layer_id)
    except GisLayer.DoesNotExist:
        raise NotFound from None


@system_read("rows of a layer the caller already read")
def gis_feature_list(*, layer: GisLayer) -> QuerySet[GisFeature]:
    """Features of a layer the caller already may read."""
    return GisFeature.objects.filter(layer=layer).order_by("id")


@system_read("the job watchdog's scan of every bureau")
def topic_reports_unfinished(*, before: dt.datetime) -> QuerySet[TopicReport]:
    """Reports queued or building, untouched since ``before`` (the job watchdog's candidates)."""
    return TopicReport.objects.filter(
        status__in=[TopicReport.Status.QUEUED, TopicReport.Status.BUILDING], updated_at__lt=before
    )


@system_read("the job watchdog's scan of every bureau")
def push_attempts_unfinished(*, before: dt.datetime) -> QuerySet[PushAttempt]:
    """Pushes pending or retrying, untouched since ``before`` (the job watchdog's candidates)."""
    return PushAttempt.objects.filter(
        status__in=[PushAttempt.Status.PENDING, PushAttempt.Status.RETRYING], updated_at__lt=before
    )
