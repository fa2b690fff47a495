"""Solutions of events: the duplicate window, the preferred solution, versions, the live feed.

A solution within ``duplicate_seconds()`` and ``duplicate_km()`` of an event of the same
bureau is that event (a new version); otherwise it is a new event. Every stored event or
new version is announced to ``catalog.arrival.event_arrived`` (see the package docstring).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import arrival
from catalog.formats.events import as_event
from catalog.formats.geojson import _feature
from catalog.models import Event, EventStatus, EventVersion, ReportKind
from portal.exceptions import InvalidInput
from portal.services import audit_record, broadcast_on_commit

if TYPE_CHECKING:
    from portal.models import Bureau, User

DEFAULT_DUPLICATE_SECONDS = 5.0


DEFAULT_DUPLICATE_KM = 10.0


PUBLIC_GROUP = "catalog.public"


SOLUTION_FIELDS = (
    "origin_time",
    "latitude",
    "longitude",
    "depth_km",
    "magnitude",
    "magnitude_type",
    "location_name",
    "source",
    "status",
    "report_kind",
    "strike",
    "dip",
    "rake",
)


def duplicate_seconds() -> float:
    return float(getattr(settings, "CATALOG_DUPLICATE_SECONDS", DEFAULT_DUPLICATE_SECONDS))


def duplicate_km() -> float:
    return float(getattr(settings, "CATALOG_DUPLICATE_KM", DEFAULT_DUPLICATE_KM))


def events_group(bureau_id: int) -> str:
    """The bureau's event stream (its unpublished events included)."""
    return f"bureau.{bureau_id}.events"


@dataclass(frozen=True)
class Solution:
    """One solution of an earthquake, whatever it came from."""

    origin_time: datetime
    latitude: float
    longitude: float
    depth_km: float | None
    magnitude: float | None
    magnitude_type: str = "M"
    location_name: str = ""
    source: str = ""
    status: str = EventStatus.REVIEWED
    report_kind: str = ReportKind.CATALOG
    strike: float | None = None
    dip: float | None = None
    rake: float | None = None
    event_type: str = "earthquake"
    external_id: str = ""


def make_public_id(bureau_code: str, origin_time: datetime, lat: float, lon: float) -> str:
    """A stable id: "ispec" + year + 10 base32 characters of a hash of who, when and where."""
    return public_id_at(bureau_code, f"{origin_time.astimezone(UTC):%Y%m%d%H%M%S%f}", lat, lon)


#: Each byte & 31 as a letter of make_public_id's alphabet (bytes.translate: C speed).
_ID_LETTERS = bytes(ord("abcdefghijklmnopqrstuvwxyz234567"[b & 31]) for b in range(256))


def public_id_at(bureau_code: str, moment: str, lat: float, lon: float) -> str:
    """make_public_id from the UTC time already written as ``%Y%m%d%H%M%S%f`` (the CSV
    import writes it from the text, a datetime's strftime costs more than the rest)."""
    key = f"{bureau_code}|{moment}|{lat:.4f}|{lon:.4f}"
    digest = hashlib.sha1(key.encode(), usedforsecurity=False).digest()
    return f"ispec{moment[:-16]}{digest[:10].translate(_ID_LETTERS).decode('ascii')}"


def event_feature(event: Event) -> dict[str, Any]:
    """The event as a GeoJSON Feature (USGS summary properties), for live pushes."""
    data = {
        "id": event.public_id,
        "time": event.origin_time,
        "latitude": event.latitude,
        "longitude": event.longitude,
        "depth_km": event.depth_km,
        "magnitude": event.magnitude,
        "magnitude_type": event.magnitude_type,
        "location_name": event.location_name,
        "agency": event.source or event.bureau.code,
        "catalog": event.bureau.code,
        "contributor": event.bureau.code,
        "evaluation_mode": "automatic" if event.status == EventStatus.AUTOMATIC else "manual",
        "evaluation_status": "preliminary" if event.status == EventStatus.AUTOMATIC else "reviewed",
        "updated": event.updated_at,
        "event_type": event.event_type,
    }
    feature = _feature(
        as_event(data), net=event.bureau.code.lower(), event_url=event.get_absolute_url(), detail_url=None
    )
    feature["id"] = event.public_id
    feature["properties"]["report_kind"] = event.report_kind
    feature["properties"]["url"] = event.get_absolute_url()
    feature["properties"]["place_name"] = event.location_name
    feature["properties"]["version"] = event.version
    feature["properties"]["bureau"] = event.bureau.code
    feature["properties"]["published"] = bool(event.is_published and event.status != EventStatus.DELETED)
    return feature


def _announce(event: Event, *, created: bool, source: str) -> None:
    """Live pushes and the arrival decision, after commit."""
    message = {
        "kind": "catalog.event",
        "action": "create" if created else "update",
        "data": event_feature(event),
    }
    broadcast_on_commit(events_group(event.bureau_id), message)
    if event.is_published and event.status != EventStatus.DELETED:
        broadcast_on_commit(PUBLIC_GROUP, message)
    arrival.event_arrived(event_id=event.pk, created=created, source=source)


def _version_from(
    event: Event, solution: Solution, *, number: int, data_origin: str, raw_text: str, user: User | None
) -> EventVersion:
    return EventVersion(
        event=event,
        version=number,
        data_origin=data_origin,
        raw_text=raw_text,
        created_by=user if user and user.pk else None,
        **{name: getattr(solution, name) for name in SOLUTION_FIELDS},
    )


def _apply(event: Event, solution: Solution) -> None:
    for name in SOLUTION_FIELDS:
        setattr(event, name, getattr(solution, name))
    event.location = Point(solution.longitude, solution.latitude, srid=4326)
    event.event_type = solution.event_type or "earthquake"
    if solution.external_id:
        event.external_id = solution.external_id


def _same(event: Event, solution: Solution) -> bool:
    return all(getattr(event, name) == getattr(solution, name) for name in SOLUTION_FIELDS)


def _check_solution(solution: Solution) -> None:
    if not -90.0 <= solution.latitude <= 90.0:
        raise InvalidInput(_("Latitude must be between -90 and 90."), field="latitude")
    if not -180.0 <= solution.longitude <= 180.0:
        raise InvalidInput(_("Longitude must be between -180 and 180."), field="longitude")
    if solution.origin_time.tzinfo is None:
        raise InvalidInput(_("The origin time needs a time zone."), field="origin_time")
    if solution.origin_time > timezone.now() + timedelta(hours=1):
        # Every event written one by one passes here; imports check the same per row.
        raise InvalidInput(
            _(
                "The origin time is more than one hour in the future; an event that has not happened is not recorded."
            ),
            field="origin_time",
        )


# Key space of the advisory lock below (pg_advisory_xact_lock(namespace, bureau id)).
CATALOG_LOCK_NAMESPACE = 0x15EC


def _lock_bureau_catalog(bureau_id: int) -> None:
    """Serialise match-then-insert of solutions within one bureau until the transaction ends.

    Two reports of one quake (an automatic and a formal one, or two wordings) must end
    as one event, but "the same quake" is a window (seconds and km apart), not an
    equality: no unique index can say it, and rounding time and place to cells would
    split a quake that lies on a cell's edge. So the database decides with a lock
    instead: a second solution of the bureau waits until the first one's transaction
    committed, and its duplicate search then sees the first one's event. Quick reports
    are a few a day per bureau, so the wait is nothing. Identical texts are decided by
    the unique constraint on the inbox (``qrmessage_one_parsed_per_text``). File imports
    do not take this lock (a file's transaction may last hours); they match what is
    committed when each batch runs.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [CATALOG_LOCK_NAMESPACE, bureau_id])


@transaction.atomic
def event_record_solution(
    *,
    bureau: Bureau,
    solution: Solution,
    data_origin: str,
    publish: bool,
    raw_text: str = "",
    user: User | None = None,
    hook_source: str = "manual",
    public_id: str | None = None,
    window: tuple[float, float] | None = None,
) -> tuple[Event, bool, bool]:
    """Store a solution: a new event, or a new version of the bureau's duplicate.

    Returns (event, created, changed). ``changed`` is False when the same
    solution was already the event's preferred one (nothing stored). Announces the
    arrival (``catalog.arrival.event_arrived``) and pushes the event live after commit.
    """
    _check_solution(solution)
    _lock_bureau_catalog(bureau.pk)
    from catalog.selectors import event_duplicate_candidates

    candidate: Event | None = None
    if solution.external_id:
        candidate = (
            Event.objects.select_for_update()
            .filter(bureau=bureau, external_id=solution.external_id)
            .order_by("id")
            .first()
        )
    if candidate is None:
        seconds, km = window or (duplicate_seconds(), duplicate_km())
        found = event_duplicate_candidates(
            bureau_id=bureau.pk,
            origin_time=solution.origin_time,
            lon=solution.longitude,
            lat=solution.latitude,
            seconds=seconds,
            km=km,
        ).values_list("pk", flat=True)
        ids = list(found)
        if ids:
            # The closest in time wins when a swarm puts several in the window.
            pool = list(Event.objects.select_for_update().filter(pk__in=ids))
            candidate = min(pool, key=lambda e: abs((e.origin_time - solution.origin_time).total_seconds()))
    if candidate is None:
        event = Event(
            bureau=bureau,
            public_id=public_id
            or make_public_id(bureau.code, solution.origin_time, solution.latitude, solution.longitude),
            is_published=publish,
            version=1,
        )
        _apply(event, solution)
        event.save()
        _version_from(event, solution, number=1, data_origin=data_origin, raw_text=raw_text, user=user).save()
        audit_record(
            actor=user, action="event.create", target=event, to_state=event.status, comment=data_origin
        )
        _announce(event, created=True, source=hook_source)
        return event, True, True
    event = candidate
    if _same(event, solution) and (event.is_published or not publish):
        return event, False, False
    last = (
        EventVersion.objects.filter(event=event)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
        or 0
    )
    _version_from(
        event, solution, number=last + 1, data_origin=data_origin, raw_text=raw_text, user=user
    ).save()
    from_state = event.status
    keeps_reviewed = event.status == EventStatus.REVIEWED and solution.status == EventStatus.AUTOMATIC
    if not keeps_reviewed:
        _apply(event, solution)
        event.version = last + 1
    event.is_published = event.is_published or publish
    event.save()
    audit_record(
        actor=user,
        action="event.version",
        target=event,
        from_state=from_state,
        to_state=event.status,
        comment=data_origin,
        extra={"version": last + 1, "preferred": not keeps_reviewed},
    )
    _announce(event, created=False, source=hook_source)
    return event, False, True
