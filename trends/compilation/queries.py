"""The reads of the trend report's compilers: every tenant query starts from
``visible_to(context.reader)`` (what the bureau reads), the month is in Beijing time.

Magnitudes are counted at the tenth they are reported to: an event's band is the one of
its magnitude rounded half up to one decimal (``round(magnitude::numeric, 1)`` in SQL,
:func:`tenths` in Python), so 2.94 is in "2.0–2.9", 2.95 and 3.0 in "3.0–3.9", and the
float 2.9 (stored as 2.8999…) stays in "2.0–2.9". The band counts are one SQL aggregate.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.contrib.gis.geos import Polygon
from django.db.models import Count, DecimalField, Func, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import TruncMonth

from catalog.models import Event, EventStatus
from consultations.models import ConsultationReport, Meeting, MeetingKind, ReportStatus
from disciplines.models import Anomaly
from portal.models import Bureau
from portal.timefmt import BEIJING
from products.models import ProductRun, RunStatus
from trends.models import TrendReport, TrendSection, TrendStatus

if TYPE_CHECKING:
    from portal.tenancy import Actor

#: (label, lower, upper) of the magnitude bands; upper exclusive, None: open.
BANDS: list[tuple[str, Decimal, Decimal | None]] = [
    ("2.0–2.9", Decimal("2.0"), Decimal("3.0")),
    ("3.0–3.9", Decimal("3.0"), Decimal("4.0")),
    ("4.0–4.9", Decimal("4.0"), Decimal("5.0")),
    ("5.0–5.9", Decimal("5.0"), Decimal("6.0")),
    ("≥ 6.0", Decimal("6.0"), None),
]
BAND_LABELS = [label for label, _low, _high in BANDS]
TENTH = Decimal("0.1")
#: (id, latitude, longitude, origin time, magnitude) of events
Points = list[tuple[int, float, float, dt.datetime, float | None]]


def tenths(magnitude: float | Decimal | None) -> Decimal | None:
    """A magnitude at the tenth it is reported to (half up), as the SQL counts it."""
    if magnitude is None:
        return None
    return Decimal(repr(magnitude) if isinstance(magnitude, float) else magnitude).quantize(
        TENTH, rounding=ROUND_HALF_UP
    )


def band_of(magnitude: float | None) -> str | None:
    value = tenths(magnitude)
    if value is None:
        return None
    for label, low, high in BANDS:
        if value >= low and (high is None or value < high):
            return label
    return None


class MagnitudeTenths(Func):
    """``round(magnitude::numeric, 1)``: the reported tenth (PostgreSQL rounds numerics half up)."""

    template = "round((%(expressions)s)::numeric, 1)"
    output_field = DecimalField(max_digits=4, decimal_places=1)


# --- the month ----------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + (day.month - 1) + months
    return dt.date(index // 12, index % 12 + 1, 1)


def bjt_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=BEIJING)


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[first day 00:00 Beijing time, first day of the next month 00:00 Beijing time)."""
    first = month.replace(day=1)
    return bjt_midnight(first), bjt_midnight(add_months(first, 1))


# --- events -------------------------------------------------------------------------------


def events_visible(reader: Actor) -> QuerySet[Event]:
    """Events the bureau reads, deleted solutions left out."""
    return Event.objects.visible_to(reader).exclude(status=EventStatus.DELETED)


def events_in_jurisdiction(reader: Actor, bureau: Bureau) -> QuerySet[Event]:
    """Visible events whose epicentre the jurisdiction polygon covers (ST_CoveredBy, not a box)."""
    if bureau.jurisdiction is None:
        return Event.objects.none()
    return events_visible(reader).filter(location__coveredby=bureau.jurisdiction)


def in_period(qs: QuerySet[Event], start: dt.datetime, end: dt.datetime) -> QuerySet[Event]:
    return qs.filter(origin_time__gte=start, origin_time__lt=end)


def band_counts(qs: QuerySet[Event]) -> dict[str, int]:
    """Events per magnitude band, in one aggregate."""
    annotated = qs.annotate(mag_tenths=MagnitudeTenths("magnitude"))
    aggregates = {
        f"band{i}": Count(
            "id",
            filter=Q(mag_tenths__gte=low) & (Q(mag_tenths__lt=high) if high is not None else Q()),
        )
        for i, (_label, low, high) in enumerate(BANDS)
    }
    row = annotated.aggregate(**aggregates)
    return {label: int(row[f"band{i}"] or 0) for i, (label, _low, _high) in enumerate(BANDS)}


def monthly_counts(qs: QuerySet[Event], start: dt.datetime, end: dt.datetime) -> dict[str, tuple[int, int]]:
    """Per Beijing month ("YYYY-MM"): (all events, events of M >= 2.0), one grouped query."""
    rows = (
        in_period(qs, start, end)
        .annotate(
            bjt_month=TruncMonth("origin_time", tzinfo=BEIJING), mag_tenths=MagnitudeTenths("magnitude")
        )
        .values("bjt_month")
        .annotate(total=Count("id"), m2=Count("id", filter=Q(mag_tenths__gte=Decimal("2.0"))))
        .order_by("bjt_month")
    )
    result: dict[str, tuple[int, int]] = {}
    for row in rows:
        moment = row["bjt_month"]
        key = (moment.astimezone(BEIJING) if isinstance(moment, dt.datetime) else moment).strftime("%Y-%m")
        result[key] = (int(row["total"]), int(row["m2"]))
    return result


def largest(qs: QuerySet[Event], limit: int = 10) -> list[Event]:
    return list(qs.filter(magnitude__isnull=False).order_by("-magnitude", "origin_time", "id")[:limit])


def event_points(qs: QuerySet[Event]) -> Points:
    """(id, latitude, longitude, origin time, magnitude) of events with a magnitude, oldest first."""
    return list(
        qs.filter(magnitude__isnull=False)
        .order_by("origin_time", "id")
        .values_list("id", "latitude", "longitude", "origin_time", "magnitude")
    )


def events_outside_near(
    reader: Actor, bureau: Bureau, start: dt.datetime, end: dt.datetime, *, km: float = 100.0
) -> list[Event]:
    """Events of the period outside the jurisdiction but within ``km`` of it (great circle,
    on the catalog's sphere), with ``distance_km``, largest first."""
    jurisdiction = bureau.jurisdiction
    if jurisdiction is None:
        return []
    lon0, lat0, lon1, lat1 = jurisdiction.extent
    pad_lat = km / 110.0 + 0.05
    pad_lon = km / (110.0 * max(math.cos(math.radians(max(abs(lat0), abs(lat1)) + pad_lat)), 0.05)) + 0.05
    envelope = Polygon.from_bbox((lon0 - pad_lon, lat0 - pad_lat, lon1 + pad_lon, lat1 + pad_lat))
    envelope.srid = 4326
    distance = RawSQL(
        'ST_Distance(ST_GeomFromEWKT(%s)::geography, "catalog_event"."location"::geography, false)',
        (jurisdiction.ewkt,),
    )
    qs = (
        in_period(events_visible(reader), start, end)
        .filter(location__intersects=envelope)
        .exclude(location__coveredby=jurisdiction)
        .annotate(distance_m=distance)
        .filter(distance_m__lte=km * 1000.0)
        .order_by("-magnitude", "origin_time", "id")
    )
    events: list[Event] = list(qs)
    for event in events:
        event.distance_km = round(float(event.distance_m) / 1000.0, 1)  # type: ignore[attr-defined]
    return events


# --- products -----------------------------------------------------------------------------


def jurisdiction_runs(
    reader: Actor, bureau: Bureau, methods: list[str], since: dt.datetime
) -> list[ProductRun]:
    """The bureau's finished runs of ``methods`` over its jurisdiction, finished since ``since``,
    newest first."""
    return list(
        ProductRun.objects.visible_to(reader)
        .filter(
            bureau=bureau,
            method__in=methods,
            status__in=[RunStatus.SUCCEEDED, RunStatus.FAILED],
            selection__jurisdiction=True,
            finished_at__gte=since,
        )
        .order_by("-finished_at", "-id")
    )


# --- anomalies ----------------------------------------------------------------------------


def anomalies_of_month(
    reader: Actor, bureau: Bureau, start: dt.datetime, end: dt.datetime
) -> QuerySet[Anomaly]:
    """The bureau's anomalies reported, verified or closed in the month, or under tracking."""
    return (
        Anomaly.objects.visible_to(reader)
        .filter(bureau=bureau)
        .filter(
            Q(created_at__gte=start, created_at__lt=end)
            | Q(verified_at__gte=start, verified_at__lt=end)
            | Q(closed_at__gte=start, closed_at__lt=end)
            | Q(state=Anomaly.State.TRACKING)
        )
        .select_related("discipline", "unit")
        .prefetch_related("ratings")
        .order_by("discipline__order", "onset_at", "id")
    )


# --- consultations ------------------------------------------------------------------------


def last_monthly_report(reader: Actor, bureau: Bureau, before: dt.datetime) -> ConsultationReport | None:
    """The latest issued (or archived) report of a monthly meeting of the bureau that started
    before ``before`` (the newest meeting, then its newest version)."""
    return (
        ConsultationReport.objects.visible_to(reader)
        .filter(
            bureau=bureau,
            meeting__kind=MeetingKind.MONTHLY,
            meeting__starts_at__lt=before,
            status__in=[ReportStatus.ISSUED, ReportStatus.ARCHIVED],
        )
        .select_related("meeting", "meeting__bureau")
        .order_by("-meeting__starts_at", "-version", "-id")
        .first()
    )


def monthly_meeting(reader: Actor, bureau: Bureau, start: dt.datetime, end: dt.datetime) -> Meeting | None:
    """The bureau's monthly meeting that started within the month (the last one if several)."""
    return (
        Meeting.objects.visible_to(reader)
        .filter(bureau=bureau, kind=MeetingKind.MONTHLY, starts_at__gte=start, starts_at__lt=end)
        .select_related("bureau", "chair", "recorder")
        .order_by("-starts_at", "-id")
        .first()
    )


def signed_report_of(reader: Actor, meeting: Meeting) -> ConsultationReport | None:
    """The newest signed-off (or later) report of the meeting: what was signed."""
    return (
        ConsultationReport.objects.visible_to(reader)
        .filter(meeting=meeting, status__in=ConsultationReport.FROZEN)
        .order_by("-version", "-id")
        .first()
    )


# --- trend reports (national) -------------------------------------------------------------


def province_reports(reader: Actor, bureau: Bureau, month: dt.date) -> list[TrendReport]:
    """The provinces' issued or archived reports of the month the unit reads, the latest
    version of each bureau."""
    rows = (
        TrendReport.objects.visible_to(reader)
        .filter(
            month=month,
            status__in=[TrendStatus.ISSUED, TrendStatus.ARCHIVED],
            bureau__kind=Bureau.Kind.PROVINCIAL,
        )
        .exclude(bureau=bureau)
        .select_related("bureau")
        .order_by("bureau__code", "-version", "-id")
    )
    latest: dict[int, TrendReport] = {}
    for report in rows:
        latest.setdefault(report.bureau_id, report)
    return list(latest.values())


def sections_of(reports: list[TrendReport], keys: list[str]) -> dict[tuple[int, str], TrendSection]:
    """The sections ``keys`` of reports the caller already read."""
    return {
        (section.report_id, section.key): section
        for section in TrendSection.objects.filter(report__in=reports, key__in=keys)
    }


def provincial_bureaus() -> list[Bureau]:
    return list(Bureau.objects.filter(kind=Bureau.Kind.PROVINCIAL, is_active=True).order_by("code"))


def as_json_number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return value
