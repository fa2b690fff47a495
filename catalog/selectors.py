"""Reads of the catalog: events by visibility, FDSN-style selections, neighbours.

Visibility (``Event.PUBLIC_Q``): a published, not deleted event is read by
anyone, signed in or not; a bureau's unpublished (or deleted) events only by
its own people (and the system admin).

Distances are great-circle distances on the sphere of PostGIS's mean Earth
radius (6 371 008.7714 m): ``ST_DWithin(geography, geography, metres,
use_spheroid => false)``. FDSN radii are degrees of arc on that sphere
(1 degree = 111.195 km), which is what the specification means by "degrees"
and what ObsPy's ``locations2degrees`` computes.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.contrib.gis.geos import Polygon
from django.db import connections
from django.db.models import BooleanField, F, Func, Q, QuerySet
from psycopg import adapters
from psycopg.pq import Format

from portal.exceptions import InvalidInput, NotFound
from portal.tenancy import system_read

from .fdsn_params import FdsnParamError, FdsnQuery, parse_fdsn_query
from .models import AlertRule, Event, EventImport, EventVersion, QuickReportMessage

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler

    from portal.tenancy import Actor

#: PostGIS's sphere (``use_spheroid => false``), metres.
EARTH_RADIUS_M = 6_371_008.7714
METRES_PER_DEGREE = math.pi / 180.0 * EARTH_RADIUS_M

#: Keys ``events_for_selection`` accepts (FDSN names, no output options).
SELECTION_KEYS = (
    "starttime",
    "endtime",
    "minlatitude",
    "maxlatitude",
    "minlongitude",
    "maxlongitude",
    "latitude",
    "longitude",
    "minradius",
    "maxradius",
    "minmagnitude",
    "maxmagnitude",
    "mindepth",
    "maxdepth",
    "magnitudetype",
    "eventtype",
    "updatedafter",
)


#: The sphere of PostGIS's geography functions with use_spheroid=false (mean radius, metres).
SPHERE_RADIUS_M = 6371008.7714


def sphere_boxes(lon: float, lat: float, metres: float) -> list[tuple[float, float, float, float]]:
    """Longitude/latitude boxes (west, south, east, north) that hold every point within
    ``metres`` of (lon, lat) on the sphere: one box, two where it crosses the antimeridian,
    a band of all longitudes where a pole lies within reach.

    The bounding coordinates of J. P. Matuschek, "Finding Points Within a Distance of a
    Latitude/Longitude Using Bounding Coordinates" (2010): angular radius r = d / R,
    latitudes lat ± r, longitudes lon ± asin(sin r / cos lat). Widened by a millionth so
    rounding never loses a point on the edge (the exact test follows on the sphere).
    """
    r = math.degrees(metres / SPHERE_RADIUS_M) * (1 + 1e-6) + 1e-9
    south, north = lat - r, lat + r
    if south <= -90.0 or north >= 90.0 or r >= 90.0:
        return [(-180.0, max(south, -90.0), 180.0, min(north, 90.0))]
    ratio = math.sin(math.radians(r)) / math.cos(math.radians(lat))
    if ratio >= 1.0:
        return [(-180.0, south, 180.0, north)]
    dlon = math.degrees(math.asin(ratio)) * (1 + 1e-6) + 1e-9
    west, east = lon - dlon, lon + dlon
    if west < -180.0:
        return [(west + 360.0, south, 180.0, north), (-180.0, south, east, north)]
    if east > 180.0:
        return [(west, south, 180.0, north), (-180.0, south, east - 360.0, north)]
    return [(west, south, east, north)]


class _SphereDWithin(Func):
    """``location && box AND ST_DWithin(location::geography, point::geography, metres, false)``.

    The box (:func:`sphere_boxes`) lets the geometry GiST of ``location`` find the
    candidates; the distance is then measured on the sphere. (Before issue 18 a second,
    geography GiST over the same points served this alone.)
    """

    output_field = BooleanField()
    conditional = True

    def __init__(self, expression: Any, *, lon: float, lat: float, metres: float) -> None:
        self.lon, self.lat, self.metres = float(lon), float(lat), float(metres)
        super().__init__(expression)

    # The stubs say params are a tuple of str | int; Django takes any sequence, and these are floats.
    def as_sql(  # type: ignore[override]
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, list[Any]]:
        inner, params = compiler.compile(self.source_expressions[0])
        boxes = sphere_boxes(self.lon, self.lat, self.metres)
        near = " OR ".join([f"({inner}) && ST_MakeEnvelope(%s, %s, %s, %s, 4326)"] * len(boxes))
        sql = (
            f"(({near}) AND ST_DWithin(({inner})::geography(POINT,4326), "
            "ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography, %s, false))"
        )
        box_params = [value for box in boxes for value in (*params, *box)]
        return sql, [*box_params, *params, self.lon, self.lat, self.metres]


def within_km(qs: QuerySet[Event], *, lon: float, lat: float, radius_km: float) -> QuerySet[Event]:
    return qs.filter(_SphereDWithin(F("location"), lon=lon, lat=lat, metres=radius_km * 1000.0))


# ---------------------------------------------------------------- events


def event_list(*, actor: Actor | None) -> QuerySet[Event]:
    """Events ``actor`` may read (anonymous: published only), newest first."""
    return Event.objects.visible_to(actor).select_related("bureau")


def event_get(*, actor: Actor | None, public_id: str) -> Event:
    """One event by its public id; NotFound for missing and not-visible alike."""
    try:
        return event_list(actor=actor).get(public_id=public_id)
    except Event.DoesNotExist:
        raise NotFound from None


def event_get_by_pk(*, actor: Actor | None, event_id: int) -> Event:
    try:
        return event_list(actor=actor).get(pk=event_id)
    except Event.DoesNotExist:
        raise NotFound from None


@system_read("a worker or hook holding an id; no person acts")
def event_get_for_worker(*, event_id: int) -> Event | None:
    """The event for a background job or hook (no actor: the caller holds the id)."""
    return Event.objects.select_related("bureau").filter(pk=event_id).first()


def event_versions(*, event: Event) -> QuerySet[EventVersion]:
    return EventVersion.objects.filter(event=event).order_by("-version")


def versions_for_events(*, event_ids: list[int]) -> dict[int, list[EventVersion]]:
    """Versions of several events (for includeallorigins), oldest first per event."""
    result: dict[int, list[EventVersion]] = {}
    for version in EventVersion.objects.filter(event_id__in=event_ids).order_by("event_id", "version"):
        result.setdefault(version.event_id, []).append(version)
    return result


def apply_fdsn_filters(qs: QuerySet[Event], query: FdsnQuery) -> QuerySet[Event]:
    """Narrow ``qs`` by the filters of a validated FDSN query (no ordering, no paging).

    The conditions go in one ``filter()`` (each call clones the query: a dozen clones were
    a tenth of a millisecond each, issue 18); none crosses a many-valued relation, so that
    is the same SQL as one call per condition."""
    conditions: list[Any] = []
    if query.eventid is not None:
        conditions.append(Q(public_id=query.eventid) | Q(external_id=query.eventid))
    if query.starttime is not None:
        conditions.append(Q(origin_time__gte=query.starttime))
    if query.endtime is not None:
        conditions.append(Q(origin_time__lte=query.endtime))
    if query.updatedafter is not None:
        conditions.append(Q(updated_at__gt=query.updatedafter))
    if query.has_box:
        south = query.minlatitude if query.minlatitude is not None else -90.0
        north = query.maxlatitude if query.maxlatitude is not None else 90.0
        west = query.minlongitude if query.minlongitude is not None else -180.0
        east = query.maxlongitude if query.maxlongitude is not None else 180.0
        if query.crosses_antimeridian:
            boxes = [(west, south, 180.0, north), (-180.0, south, east, north)]
        else:
            boxes = [(west, south, east, north)]
        condition = Q()
        for box in boxes:
            # && on the GiST index; points on the edge count as inside (FDSN: inclusive).
            # The same box on latitude/longitude (the point's own columns) lets the public
            # magnitude index (event_public_mag_time_idx) narrow the rows by itself.
            condition |= Q(
                location__bboverlaps=Polygon.from_bbox(box),
                latitude__range=(box[1], box[3]),
                longitude__range=(box[0], box[2]),
            )
        conditions.append(condition)
    if query.has_radius:
        lat, lon = query.radius_centre
        if query.maxradius is not None and query.maxradius < 180.0:
            conditions.append(
                _SphereDWithin(F("location"), lon=lon, lat=lat, metres=query.maxradius * METRES_PER_DEGREE)
            )
        if query.minradius is not None and query.minradius > 0.0:
            qs = qs.exclude(
                _SphereDWithin(F("location"), lon=lon, lat=lat, metres=query.minradius * METRES_PER_DEGREE)
            )
    if query.mindepth is not None:
        conditions.append(Q(depth_km__gte=query.mindepth))
    if query.maxdepth is not None:
        conditions.append(Q(depth_km__lte=query.maxdepth))
    if query.minmagnitude is not None:
        conditions.append(Q(magnitude__gte=query.minmagnitude))
    if query.maxmagnitude is not None:
        conditions.append(Q(magnitude__lte=query.maxmagnitude))
    if query.magnitudetype is not None:
        conditions.append(Q(magnitude_type__iexact=query.magnitudetype))
    if query.eventtype:
        types = Q()
        for pattern in query.eventtype:
            if "*" in pattern or "?" in pattern:
                regex = (
                    "^"
                    + "".join(".*" if c == "*" else "." if c == "?" else _re_escape(c) for c in pattern)
                    + "$"
                )
                types |= Q(event_type__iregex=regex)
            else:
                types |= Q(event_type__iexact=pattern)
        conditions.append(types)
    if query.contributor is not None:
        conditions.append(Q(bureau__code__iexact=query.contributor) | Q(source__iexact=query.contributor))
    if query.catalog is not None:
        conditions.append(Q(bureau__code__iexact=query.catalog))
    return qs.filter(*conditions) if conditions else qs


def _re_escape(char: str) -> str:
    return "\\" + char if not char.isalnum() else char


FDSN_ORDER = {
    "time": (F("origin_time").desc(), F("id").desc()),
    "time-asc": (F("origin_time").asc(), F("id").asc()),
    # Events without a magnitude come last either way (USGS does the same).
    "magnitude": (F("magnitude").desc(nulls_last=True), F("origin_time").desc(), F("id").desc()),
    "magnitude-asc": (F("magnitude").asc(nulls_last=True), F("origin_time").asc(), F("id").asc()),
}


def events_for_fdsn(*, actor: Actor | None, query: FdsnQuery) -> QuerySet[Event]:
    """The events an FDSN query selects, visible to ``actor``, ordered (not yet paged)."""
    qs = apply_fdsn_filters(Event.objects.visible_to(actor), query)
    return qs.select_related("bureau").order_by(*FDSN_ORDER[query.orderby])


#: The FDSN writers take a time as the database's text of it (``2019-12-31 19:50:21.604+00``,
#: ``catalog.formats.events.utc_text_parts``) and slice it into theirs. Django's connections
#: load a ``timestamptz`` with a Python subclass of psycopg's loader (``BaseTzLoader`` of
#: django/db/backends/postgresql/psycopg_any.py: about 3 µs a value, 10 ms of the 1,000
#: events of an FDSN answer, three times a row) and the writers then spent another
#: microsecond writing each datetime back into text (issue 18).
#: psycopg's loader of ``text`` (its C one with psycopg-binary), given the times (and the
#: floats, ``floats_as_text``).
_AS_TEXT = adapters.get_loader(adapters.types["text"].oid, Format.TEXT)


def fdsn_rows(
    events: QuerySet[Event],
    fields: Sequence[str],
    *,
    chunk_size: int | None = None,
    floats_as_text: bool = False,
) -> Iterator[tuple[Any, ...]]:
    """``events.values_list(*fields)`` as plain tuples for the FDSN writers, with each
    ``timestamptz`` as the database's text of it (above): all at once, or with
    ``chunk_size`` through a server-side cursor. ``floats_as_text``: each ``double
    precision`` too, for the text writer (``formats.fdsn_text.float_text`` prints it as it
    came instead of parsing it here and writing it again there).

    The fields are plain columns (text, floats, times) that need no converter of Django's
    (tests/catalog/test_fdsn_fast_paths.py checks the tuples against ``values_list``'s own). The
    database is the queryset's (the replica router's choice for a read).
    """
    values = events.values_list(*fields)
    sql, params = values.query.sql_with_params()
    connection = connections[values.db]
    as_text = ("timestamptz", "float8") if floats_as_text else ("timestamptz",)
    if chunk_size is None:
        with connection.cursor() as cursor:
            for name in as_text:
                cursor.cursor.adapters.register_loader(name, _AS_TEXT)
            cursor.execute(sql, params)
            return iter(cursor.fetchall())
    return _fdsn_rows_streamed(connection, sql, params, chunk_size, as_text)


def _fdsn_rows_streamed(
    connection: BaseDatabaseWrapper,
    sql: str,
    params: Sequence[Any],
    chunk_size: int,
    as_text: Sequence[str],
) -> Iterator[tuple[Any, ...]]:
    # As QuerySet.iterator(): a named (server-side, WITH HOLD in autocommit) cursor of
    # Django's, unless the database's settings turn those off (a transaction pooler).
    server_side = not connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")
    with connection.chunked_cursor() if server_side else connection.cursor() as cursor:
        for name in as_text:
            cursor.cursor.adapters.register_loader(name, _AS_TEXT)
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(chunk_size):
            yield from rows


def _selection_value(value: Any) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.strftime("%Y-%m-%dT%H:%M:%S.%f")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


def parse_selection(selection: dict[str, Any]) -> FdsnQuery:
    """Validate an FDSN-style selection dict; InvalidInput names the bad key."""
    if not isinstance(selection, dict):
        raise InvalidInput("the selection must be an object of FDSN filter keys", field="selection")
    params: dict[str, str] = {}
    for key, value in selection.items():
        name = str(key).lower()
        if name not in SELECTION_KEYS:
            raise InvalidInput(
                f"{key}: not a selection key (allowed: {', '.join(SELECTION_KEYS)})", field=str(key)
            )
        if value is None or value == "":
            continue
        params[name] = _selection_value(value)
    try:
        return parse_fdsn_query(params, max_limit=10**9, allow_box_and_radius=True)
    except FdsnParamError as exc:
        raise InvalidInput(exc.message, field=exc.param) from None


def events_for_selection(*, actor: Actor | None, selection: dict[str, Any]) -> QuerySet[Event]:
    """Events matching an FDSN-style filter dict (product engine, reports).

    Keys: starttime, endtime (datetime or ISO text, UTC), minlatitude,
    maxlatitude, minlongitude, maxlongitude, latitude, longitude, minradius,
    maxradius (degrees), minmagnitude, maxmagnitude, mindepth, maxdepth,
    magnitudetype, eventtype, updatedafter. A box and a radius together mean
    their intersection. Ordered by origin time, oldest first. Raises
    InvalidInput naming the key.
    """
    query = parse_selection(selection)
    return apply_fdsn_filters(Event.objects.visible_to(actor), query).order_by("origin_time", "id")


def events_near(
    *,
    actor: Actor | None,
    lon: float,
    lat: float,
    radius_km: float,
    since: datetime | None = None,
    min_magnitude: float | None = None,
) -> QuerySet[Event]:
    """Visible events within ``radius_km`` (great circle) of a point, newest first."""
    if not (-90.0 <= lat <= 90.0):
        raise InvalidInput("latitude out of range -90..90", field="lat")
    if not (-180.0 <= lon <= 180.0):
        raise InvalidInput("longitude out of range -180..180", field="lon")
    if radius_km <= 0:
        raise InvalidInput("the radius must be positive", field="radius_km")
    qs = within_km(Event.objects.visible_to(actor), lon=lon, lat=lat, radius_km=radius_km)
    if since is not None:
        qs = qs.filter(origin_time__gte=since)
    if min_magnitude is not None:
        qs = qs.filter(magnitude__gte=min_magnitude)
    return qs.select_related("bureau").order_by("-origin_time", "-id")


def events_catalog_names(*, actor: Actor | None) -> list[str]:
    """Bureau codes with visible events (the FDSN ``catalogs`` document)."""
    return sorted(set(Event.objects.visible_to(actor).values_list("bureau__code", flat=True).distinct()))


def events_contributor_names(*, actor: Actor | None) -> list[str]:
    names = Event.objects.visible_to(actor).exclude(source="").values_list("source", flat=True).distinct()
    return sorted(set(names) | set(events_catalog_names(actor=actor)))


@system_read("import and intake matching within the importing bureau")
def event_duplicate_candidates(
    *, bureau_id: int, origin_time: datetime, lon: float, lat: float, seconds: float, km: float
) -> QuerySet[Event]:
    """The bureau's events within ``seconds`` and ``km`` of a solution, closest in time first."""
    window = timedelta(seconds=seconds)
    qs = Event.objects.filter(
        bureau_id=bureau_id,
        origin_time__gte=origin_time - window,
        origin_time__lte=origin_time + window,
    )
    return within_km(qs, lon=lon, lat=lat, radius_km=km).order_by("origin_time")


# ---------------------------------------------------------------- quick reports and imports


def quick_report_list(*, actor: Actor | None) -> QuerySet[QuickReportMessage]:
    """Quick-report messages of the actor's bureau (the inbox is never public)."""
    if actor is None:
        return QuickReportMessage.objects.none()
    return (
        QuickReportMessage.objects.editable_by(actor)
        .select_related("event", "submitted_by", "bureau")
        .order_by("-received_at", "-id")
    )


def quick_report_get(*, actor: Actor | None, message_id: int) -> QuickReportMessage:
    try:
        return quick_report_list(actor=actor).get(pk=message_id)
    except QuickReportMessage.DoesNotExist:
        raise NotFound from None


@system_read("intake matching within the receiving bureau")
def quick_report_find_duplicate(*, bureau_id: int, fingerprint: str) -> QuickReportMessage | None:
    """A parsed message of the bureau with the same text (the same SMS sent twice)."""
    return (
        QuickReportMessage.objects.filter(bureau_id=bureau_id, fingerprint=fingerprint, event__isnull=False)
        .select_related("event")
        .order_by("id")
        .first()
    )


def event_import_list(*, actor: Actor | None) -> QuerySet[EventImport]:
    if actor is None:
        return EventImport.objects.none()
    return EventImport.objects.editable_by(actor).select_related("bureau", "created_by")


def event_import_get(*, actor: Actor | None, import_id: int) -> EventImport:
    try:
        return event_import_list(actor=actor).get(pk=import_id)
    except EventImport.DoesNotExist:
        raise NotFound from None


@system_read("a worker or hook holding an id; no person acts")
def event_import_get_for_worker(*, import_id: int) -> EventImport | None:
    return EventImport.objects.select_related("bureau").filter(pk=import_id).first()


def events_matching_text(qs: QuerySet[Event], text: str) -> QuerySet[Event]:
    """Narrow by a free text: the place name, the source or the event id."""
    return qs.filter(Q(location_name__icontains=text) | Q(source__icontains=text) | Q(public_id__iexact=text))


def events_in_jurisdiction(*, actor: Actor | None, min_magnitude: float, since: datetime) -> QuerySet[Event]:
    """Visible events inside the actor's bureau's jurisdiction, newest first (dashboard)."""
    if actor is None or actor.bureau is None or actor.bureau.jurisdiction is None:
        return Event.objects.none()
    return (
        Event.objects.visible_to(actor)
        .filter(
            location__intersects=actor.bureau.jurisdiction,
            magnitude__gte=min_magnitude,
            origin_time__gte=since,
        )
        .exclude(status="deleted")
        .select_related("bureau")
        .order_by("-origin_time", "-id")
    )


def quick_reports_failed(*, actor: Actor | None) -> QuerySet[QuickReportMessage]:
    return quick_report_list(actor=actor).filter(status=QuickReportMessage.Status.FAILED)


@system_read("the job watchdog's scan of every bureau")
def event_imports_unfinished(*, started_before: datetime, queued_before: datetime) -> QuerySet[EventImport]:
    """Imports left running since before ``started_before`` or queued since before ``queued_before``
    (the job watchdog's candidates; the service decides on each with the row locked)."""
    return EventImport.objects.filter(
        Q(status=EventImport.Status.RUNNING, started_at__lt=started_before)
        | Q(status=EventImport.Status.QUEUED, created_at__lt=queued_before)
    )


@system_read("the arrival decision: every bureau's alert rule, once per event")
def alert_rules_by_bureau() -> dict[int, AlertRule]:
    """The stored alert rules by bureau id (a province without one uses the defaults)."""
    return {rule.bureau_id: rule for rule in AlertRule.objects.all()}
