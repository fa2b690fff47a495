"""Reads of danger zones, their plans, links and tracking reports; every read through
``visible_to`` (a zone you may not read is 404, never "forbidden")."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import TYPE_CHECKING, Any

from django.contrib.gis.geos import Point

from catalog.models import Event
from consultations.models import Meeting
from disciplines.models import Anomaly
from flows.models import Flow
from observations.models import Channel
from portal.exceptions import NotFound
from portal.geo import china_outline
from portal.models import AuditEvent, Bureau, User
from portal.selectors import audit_for
from portal.tenancy import bureau_reader, system_read
from portal.timefmt import BEIJING
from products.models import ProductRun, ProductSchedule

from .models import DangerZone, TrackingPlan, TrackingReport, ZoneAnomaly, ZoneMeeting, ZoneProductRun

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from portal.tenancy import Actor

LIVE = ("published", "scored")


def year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    """The year in Beijing time: [1 January 00:00, next 1 January 00:00)."""
    return dt.datetime(year, 1, 1, tzinfo=BEIJING), dt.datetime(year + 1, 1, 1, tzinfo=BEIJING)


def current_year(now: dt.datetime | None = None) -> int:
    from django.utils import timezone

    return (now or timezone.now()).astimezone(BEIJING).year


def current_quarter(now: dt.datetime | None = None) -> int:
    from django.utils import timezone

    return ((now or timezone.now()).astimezone(BEIJING).month - 1) // 3 + 1


# ---------------------------------------------------------------- zones


def zone_list(
    *,
    actor: Actor | None,
    year: int | None = None,
    bureau: str = "",
    status: str = "",
    level: str = "",
) -> QuerySet[DangerZone]:
    qs = DangerZone.objects.visible_to(actor).select_related("bureau").prefetch_related("bureaus")
    if year is not None:
        qs = qs.filter(year=year)
    if bureau:
        qs = qs.filter(bureau__code=bureau)
    if status:
        qs = qs.filter(status=status)
    if level:
        qs = qs.filter(level=level)
    return qs.distinct().order_by("-year", "name", "id")


def zone_get(*, actor: Actor | None, zone_id: int) -> DangerZone:
    zone = zone_list(actor=actor).filter(pk=zone_id).first()
    if zone is None:
        raise NotFound()
    return zone


def zones_on_map(*, actor: Actor | None, year: int) -> QuerySet[DangerZone]:
    """The year's zones the actor reads, published ones and the bureau's own drafts."""
    return zone_list(actor=actor, year=year).exclude(status="withdrawn")


def zones_trackable(*, actor: Actor | None, year: int | None = None) -> QuerySet[DangerZone]:
    """The live zones an anomaly may be linked to (the anomaly page's picker)."""
    qs = zone_list(actor=actor).filter(status__in=LIVE)
    if year is not None:
        qs = qs.filter(year__gte=year - 1)
    return qs


def zone_history(*, zone: DangerZone) -> QuerySet[AuditEvent]:
    """The zone's audit trail (the caller read the zone through ``zone_get``)."""
    return audit_for(target_type="zones.dangerzone", target_id=zone.pk).order_by("-created_at")


def zone_anomalies(*, actor: Actor | None, zone: DangerZone) -> QuerySet[Anomaly]:
    linked = ZoneAnomaly.objects.filter(zone=zone).values("anomaly_id")
    return Anomaly.objects.visible_to(actor).filter(pk__in=linked).select_related("bureau").order_by("-id")


def zone_runs(*, actor: Actor | None, zone: DangerZone) -> QuerySet[ProductRun]:
    linked = ZoneProductRun.objects.filter(zone=zone).values("run_id")
    return ProductRun.objects.visible_to(actor).filter(pk__in=linked).select_related("bureau").order_by("-id")


def zone_meetings(*, actor: Actor | None, zone: DangerZone) -> QuerySet[Meeting]:
    linked = ZoneMeeting.objects.filter(zone=zone).values("meeting_id")
    return (
        Meeting.objects.visible_to(actor)
        .filter(pk__in=linked)
        .select_related("bureau")
        .order_by("-starts_at")
    )


def zones_of_anomaly(*, actor: Actor | None, anomaly: Anomaly) -> QuerySet[DangerZone]:
    linked = ZoneAnomaly.objects.filter(anomaly=anomaly).values("zone_id")
    return zone_list(actor=actor).filter(pk__in=linked)


def zones_of_meeting(*, actor: Actor | None, meeting: Meeting) -> QuerySet[DangerZone]:
    linked = ZoneMeeting.objects.filter(meeting=meeting).values("zone_id")
    return zone_list(actor=actor).filter(pk__in=linked)


def anomaly_for_link(*, actor: Actor | None, anomaly_id: int) -> Anomaly:
    anomaly = Anomaly.objects.visible_to(actor).filter(pk=anomaly_id).select_related("bureau").first()
    if anomaly is None:
        raise NotFound()
    return anomaly


def run_for_link(*, actor: Actor | None, run_id: int) -> ProductRun:
    run = ProductRun.objects.visible_to(actor).filter(pk=run_id).first()
    if run is None:
        raise NotFound()
    return run


def meeting_for_link(*, actor: Actor | None, meeting_id: int) -> Meeting:
    meeting = Meeting.objects.visible_to(actor).filter(pk=meeting_id).first()
    if meeting is None:
        raise NotFound()
    return meeting


def meetings_linkable(*, actor: Actor | None, year: int) -> QuerySet[Meeting]:
    """Meetings to link to a zone: the actor's of the zone's year and the one before."""
    start, _end = year_bounds(year - 1)
    return Meeting.objects.visible_to(actor).filter(starts_at__gte=start).order_by("-starts_at")[:200]


def annual_meetings(*, actor: Actor | None) -> QuerySet[Meeting]:
    return Meeting.objects.editable_by(actor).filter(kind="annual").order_by("-starts_at")


def bureaus_all() -> QuerySet[Bureau]:
    """Responsible bureaus to choose from: every active bureau (reference data)."""
    return Bureau.objects.filter(is_active=True).order_by("code")


# ---------------------------------------------------------------- plans


def zone_plans(*, actor: Actor | None, zone: DangerZone) -> QuerySet[TrackingPlan]:
    return (
        TrackingPlan.objects.visible_to(actor)
        .filter(zone=zone)
        .select_related("bureau", "updated_by")
        .prefetch_related("watchers")
    )


def plan_of_bureau(*, actor: Actor, zone: DangerZone) -> TrackingPlan | None:
    return TrackingPlan.objects.editable_by(actor).filter(zone=zone).first()


def plan_channels(*, actor: Actor | None, plan: TrackingPlan) -> QuerySet[Channel]:
    return (
        Channel.objects.visible_to(actor).filter(pk__in=plan.channels.values("pk")).select_related("station")
    )


def plan_schedules(*, actor: Actor | None, plan: TrackingPlan) -> QuerySet[ProductSchedule]:
    return ProductSchedule.objects.visible_to(actor).filter(pk__in=plan.schedules.values("pk"))


def plan_flows(*, actor: Actor | None, plan: TrackingPlan) -> QuerySet[Flow]:
    return Flow.objects.visible_to(actor).filter(pk__in=plan.flows.values("pk"))


def channel_options(*, actor: Actor) -> QuerySet[Channel]:
    return Channel.objects.editable_by(actor).select_related("station").order_by("station__code", "id")[:500]


def schedule_options(*, actor: Actor) -> QuerySet[ProductSchedule]:
    return ProductSchedule.objects.editable_by(actor).order_by("name")


def flow_options(*, actor: Actor) -> QuerySet[Flow]:
    return Flow.objects.editable_by(actor).order_by("name")


def watcher_options(*, actor: Actor) -> QuerySet[User]:
    from portal.selectors import people_who_can

    return people_who_can(bureau_ids=[actor.bureau_id] if actor.bureau_id else [], role="forecaster")


def channels_by_ids(*, actor: Actor, ids: list[int]) -> list[Channel]:
    return list(Channel.objects.editable_by(actor).filter(pk__in=ids))


def schedules_by_ids(*, actor: Actor, ids: list[int]) -> list[ProductSchedule]:
    return list(ProductSchedule.objects.editable_by(actor).filter(pk__in=ids))


def flows_by_ids(*, actor: Actor, ids: list[int]) -> list[Flow]:
    return list(Flow.objects.editable_by(actor).filter(pk__in=ids))


# ---------------------------------------------------------------- reports


def report_list(
    *, actor: Actor | None, zone: DangerZone | None = None, status: str = "", year: int | None = None
) -> QuerySet[TrackingReport]:
    qs = TrackingReport.objects.visible_to(actor).select_related("bureau", "zone")
    if zone is not None:
        qs = qs.filter(zone=zone)
    if status:
        qs = qs.filter(status=status)
    if year is not None:
        qs = qs.filter(year=year)
    return qs.order_by("-year", "-quarter", "-id")


def report_get(*, actor: Actor | None, report_id: int) -> TrackingReport:
    report = report_list(actor=actor).filter(pk=report_id).first()
    if report is None:
        raise NotFound()
    return report


def report_history(*, report: TrackingReport) -> QuerySet[AuditEvent]:
    return audit_for(target_type="zones.trackingreport", target_id=report.pk).order_by("-created_at")


def reports_waiting(*, actor: Actor) -> QuerySet[TrackingReport]:
    """Submitted reports of the actor's bureau an approver issues."""
    return TrackingReport.objects.editable_by(actor).filter(status="submitted").select_related("zone")


@system_read("the document worker renders a report it holds the id of")
def report_for_worker(*, report_id: int) -> TrackingReport | None:
    return TrackingReport.objects.select_related("bureau", "zone", "issued_by").filter(pk=report_id).first()


# ---------------------------------------------------------------- scoring


@system_read("the year-end beat job: every bureau with live zones of the year")
def bureaus_with_zones(*, year: int) -> list[int]:
    return sorted(
        set(DangerZone.objects.filter(year=year, status__in=LIVE).values_list("bureau_id", flat=True))
    )


def zones_to_score(*, actor: Actor, year: int) -> list[DangerZone]:
    """The bureau's own live zones of the year (scored again when the catalog changed)."""
    return list(DangerZone.objects.editable_by(actor).filter(year=year, status__in=LIVE).order_by("id"))


def quakes_of_year(*, bureau: Bureau, year: int, min_magnitude: float) -> list[Event]:
    """The year's quakes the bureau reads (its own and the published ones), one per quake:
    the same quake catalogued by two bureaus (same minute, same tenth of a degree) counts once."""
    start, end = year_bounds(year)
    rows = (
        Event.objects.visible_to(bureau_reader(bureau))
        .filter(origin_time__gte=start, origin_time__lt=end, magnitude__gte=min_magnitude - 0.05)
        .exclude(status="deleted")
        .order_by("origin_time", "id")
    )
    seen: set[tuple[Any, ...]] = set()
    quakes: list[Event] = []
    for event in rows:
        key = (
            event.origin_time.replace(second=0, microsecond=0),
            round(event.latitude, 1),
            round(event.longitude, 1),
        )
        if key in seen:
            continue
        seen.add(key)
        quakes.append(event)
    return quakes


@cache
def china_hull() -> list[tuple[float, float]]:
    """The scored region: the convex hull of China as the portal ships it (one ring)."""
    hull: Any = china_outline().convex_hull  # a Polygon: the outline spans more than a line
    return [(float(x), float(y)) for x, y in hull.coords[0]]


# ---------------------------------------------------------------- the trend report's marks


def zones_containing(*, bureau: Bureau, year: int, longitude: float, latitude: float) -> list[DangerZone]:
    """The year's live zones the bureau reads that contain the point (the trend report marks
    its quakes with them)."""
    point = Point(longitude, latitude, srid=4326)
    return list(
        DangerZone.objects.visible_to(bureau_reader(bureau))
        .filter(year=year, status__in=LIVE, polygon__covers=point)
        .distinct()
    )
