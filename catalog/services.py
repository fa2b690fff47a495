"""Writes of the catalog: solutions of events, quick-report intake, imports.

Decisions written down here, where they are enforced:

* **Duplicates.** A solution within ``duplicate_seconds()`` (default 5 s) and
  ``duplicate_km()`` (default 10 km, great circle) of an event of the *same
  bureau* is that event: it becomes a new version instead of a second event.
  Quick reports use a wider window (``quick_report_window()``, default 90 s
  and 30 km): their times are to the minute and automatic epicentres move
  by tens of km in the formal report.
  Each bureau keeps its own catalog: JX importing a quake that CENC also has
  gives JX its own event (a province never writes into another's catalog).
* **Preferred solution.** A new version becomes the preferred one (the
  fields on the Event row) unless it is an automatic solution arriving after
  a reviewed one: the automatic one is kept in the history only.
* **Publishing.** A formal quick report (正式测定) and an imported catalog
  are published (anyone may read them: they are what the networks publish
  themselves); an automatic quick report (自动测定) stays inside the bureau
  until the formal one arrives ("最终结果以正式速报为准").
* **Imports are all or nothing per file.** The rows of a file are stored in
  one transaction: a file that turns out unreadable halfway (broken XML, no
  header) stores nothing and the import is marked failed with the line.
  Bad *rows* do not stop the import: they are counted as rejected, with line
  and reason, in the summary. Progress is published through the cache and
  the bureau's websocket group while the transaction is still open.
* **Arrivals.** Every stored event or new version is announced to
  ``catalog.arrival.event_arrived``, which decides on commit, in a task, whether it is
  fresh and whom it concerns. Imports announce (and push live) only the events that are
  fresh by the same rule (a historical catalog of a million rows must not start a
  million tasks).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.exceptions import InvalidInput, NotFound, PermissionDenied
from portal.models import Bureau, Role, User
from portal.services import audit_record, broadcast_on_commit
from portal.workflow import Transition, Workflow, register, register_labels, transition

from . import arrival
from .formats.events import as_event
from .formats.geojson import _feature
from .models import DataOrigin, Event, EventStatus, EventVersion, QuickReportMessage, ReportKind
from .quick_report import QuickReport, QuickReportParseError, fingerprint, parse_quick_report

if TYPE_CHECKING:
    from portal.tenancy import Actor

logger = logging.getLogger(__name__)

DEFAULT_DUPLICATE_SECONDS = 5.0
DEFAULT_DUPLICATE_KM = 10.0
# Quick reports give the time to the minute ("02时09分") and an automatic
# epicentre can be off by tens of km: their window is wider.
DEFAULT_QUICK_REPORT_SECONDS = 90.0
DEFAULT_QUICK_REPORT_KM = 30.0
IMPORT_BATCH_SIZE = 2000
MAX_STORED_ERRORS = 1000
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


def quick_report_window() -> tuple[float, float]:
    """(seconds, km) within which a quick report is a version of an existing event."""
    return (
        float(getattr(settings, "CATALOG_QUICK_REPORT_DUPLICATE_SECONDS", DEFAULT_QUICK_REPORT_SECONDS)),
        float(getattr(settings, "CATALOG_QUICK_REPORT_DUPLICATE_KM", DEFAULT_QUICK_REPORT_KM)),
    )


def events_group(bureau_id: int) -> str:
    """The bureau's event stream (its unpublished events included)."""
    return f"bureau.{bureau_id}.events"


# ---------------------------------------------------------------- solutions


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
    key = f"{bureau_code}|{origin_time.astimezone(UTC):%Y%m%d%H%M%S%f}|{lat:.4f}|{lon:.4f}"
    digest = hashlib.sha1(key.encode(), usedforsecurity=False).digest()
    code = "".join("abcdefghijklmnopqrstuvwxyz234567"[b & 31] for b in digest[:10])
    return f"ispec{origin_time.astimezone(UTC):%Y}{code}"


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
    from .selectors import event_duplicate_candidates

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


# ---------------------------------------------------------------- quick reports


def can_post_quick_report(actor: Actor | None) -> bool:
    """Forecasters and bureau admins of a bureau, and the system admin acting in one."""
    if actor is None or actor.bureau is None:
        return False
    return actor.is_system_admin or actor.has_role(Role.FORECASTER) or actor.has_role(Role.BUREAU_ADMIN)


class QuickReportRejected(InvalidInput):
    """The text could not be parsed; the message is kept in the inbox (``message``)."""

    def __init__(self, message: str, *, field: str, inbox_message: QuickReportMessage) -> None:
        super().__init__(message, field=field)
        self.inbox_message = inbox_message


#: How far ahead of the portal's clock a receipt time may be (clocks drift a little).
RECEIVED_AT_AHEAD_MAX = timedelta(minutes=5)
#: No message was received before instrumental seismology: an earlier time is a typo.
RECEIVED_AT_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)


def quick_report_check_received_at(received: datetime) -> None:
    """A receipt time is aware, not before 1900 and at most five minutes ahead of now.

    Raises InvalidInput naming ``received_at``: the request is refused and nothing is
    kept in the inbox, since the time, not the text, is wrong.
    """
    if received.tzinfo is None or received.utcoffset() is None:
        raise InvalidInput(_("received_at needs a time zone."), field="received_at")
    if received < RECEIVED_AT_EARLIEST:
        raise InvalidInput(
            _("received_at %(value)s is before 1900; give the time the message arrived.")
            % {"value": received.isoformat()},
            field="received_at",
        )
    if received > timezone.now() + RECEIVED_AT_AHEAD_MAX:
        raise InvalidInput(
            _("received_at %(value)s is in the future; give the time the message arrived.")
            % {"value": received.isoformat()},
            field="received_at",
        )


def _solution_from_report(report: QuickReport) -> Solution:
    automatic = report.report_kind == "automatic"
    return Solution(
        origin_time=report.origin_time,
        latitude=report.latitude,
        longitude=report.longitude,
        depth_km=report.depth_km,
        magnitude=report.magnitude,
        magnitude_type=report.magnitude_type or "M",
        location_name=report.location_name[:200],
        source=(report.source_code or report.source or report.sender)[:64],
        status=EventStatus.AUTOMATIC if automatic else EventStatus.REVIEWED,
        report_kind=ReportKind.AUTOMATIC if automatic else ReportKind.FORMAL,
    )


@dataclass
class QuickReportResult:
    message: QuickReportMessage
    event: Event
    created: bool  # a new event (False: an existing event, same or new version)
    repeated: bool  # the very same text was already received


def quick_report_submit(
    *, actor: Actor | None, text: str, received_at: datetime | None = None
) -> QuickReportResult:
    """Receive one quick-report SMS for the actor's bureau.

    The same text again returns the first message's event (``repeated``).
    Unparseable text is kept in the inbox (status failed) and
    QuickReportRejected names the part. Raises PermissionDenied for people
    who may not post.
    """
    if not can_post_quick_report(actor):
        raise PermissionDenied(_("Only forecasters and bureau admins can post quick reports."))
    if actor is None or actor.bureau is None:  # narrowed for the type checker
        raise PermissionDenied
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("The message is empty."), field="text")
    if len(text) > 2000:
        raise InvalidInput(_("A quick report is at most 2000 characters."), field="text")
    received = received_at or timezone.now()
    quick_report_check_received_at(received)
    print_ = fingerprint(text)
    from .selectors import quick_report_find_duplicate

    earlier = quick_report_find_duplicate(bureau_id=actor.bureau.pk, fingerprint=print_)
    if earlier is not None and earlier.event is not None:
        return QuickReportResult(message=earlier, event=earlier.event, created=False, repeated=True)
    try:
        report = parse_quick_report(text, received_at=received)
    except QuickReportParseError as problem:
        message = QuickReportMessage.objects.create(
            bureau=actor.bureau,
            text=text,
            received_at=received,
            fingerprint=print_,
            status=QuickReportMessage.Status.FAILED,
            error=problem.message,
            error_part=problem.part,
            submitted_by=actor.user,
        )
        _notify_inbox(message)
        raise QuickReportRejected(problem.message, field=problem.part, inbox_message=message) from None
    try:
        with transaction.atomic():
            # The inbox row goes in first: its unique key (bureau, fingerprint) makes the
            # database pick the first of identical SMS arriving together. The others wait
            # on the index until it commits, then fail here and answer with its event.
            message = QuickReportMessage.objects.create(
                bureau=actor.bureau,
                text=text,
                received_at=received,
                fingerprint=print_,
                status=QuickReportMessage.Status.PARSED,
                submitted_by=actor.user,
            )
            event, created, _changed = _record_report(actor=actor, report=report, text=text)
            message.event = event
            message.save(update_fields=["event", "updated_at"])
            audit_record(actor=actor, action="quick_report.parse", target=message, to_state=message.status)
    except IntegrityError:
        earlier = quick_report_find_duplicate(bureau_id=actor.bureau.pk, fingerprint=print_)
        if earlier is None or earlier.event is None:
            raise
        return QuickReportResult(message=earlier, event=earlier.event, created=False, repeated=True)
    return QuickReportResult(message=message, event=event, created=created, repeated=False)


def _record_report(*, actor: Actor, report: QuickReport, text: str) -> tuple[Event, bool, bool]:
    if actor.bureau is None:
        raise PermissionDenied
    return event_record_solution(
        bureau=actor.bureau,
        solution=_solution_from_report(report),
        data_origin=DataOrigin.QUICK_REPORT,
        publish=report.report_kind != "automatic",
        raw_text=text,
        user=actor.user,
        hook_source="quick_report",
        window=quick_report_window(),
    )


def _notify_inbox(message: QuickReportMessage) -> None:
    broadcast_on_commit(
        events_group(message.bureau_id),
        {"kind": "catalog.inbox", "id": message.pk, "status": message.status},
    )


def _message_lock(actor: Actor | None, message: QuickReportMessage | int) -> QuickReportMessage:
    locked = QuickReportMessage.objects.select_for_update().filter(pk=getattr(message, "pk", message)).first()
    if locked is None:
        raise NotFound()
    return locked


def _may_correct(actor: Actor | None, message: QuickReportMessage) -> bool:
    """Forecasters and bureau admins of the message's bureau (the system admin in any)."""
    if actor is None or not can_post_quick_report(actor):
        return False
    return actor.is_system_admin or message.bureau_id == actor.bureau_id


def _inbox_live(message: QuickReportMessage, action: str) -> tuple[str, dict[str, Any]]:
    return events_group(message.bureau_id), {
        "kind": "catalog.inbox",
        "id": message.pk,
        "status": message.status,
    }


# The inbox: a message is stored parsed or failed (created so, no move); a failed one is
# corrected by a person, once.
QUICK_REPORT_WORKFLOW = register(
    Workflow(
        name="quick_report",
        model=QuickReportMessage,
        state_field="status",
        noun=gettext_lazy("quick-report message"),
        lock=_message_lock,
        url=lambda message: reverse("catalog:quick-report-inbox"),
        live=_inbox_live,
        transitions={
            "correct": Transition(
                frozenset({QuickReportMessage.Status.FAILED}),
                QuickReportMessage.Status.CORRECTED,
                _may_correct,
                gettext_lazy("message corrected"),
                gettext_lazy("Correct"),
            ),
        },
    )
)
register_labels({"quick_report.parse": gettext_lazy("quick report received")})


def quick_report_correct(*, actor: Actor | None, message: QuickReportMessage, text: str) -> QuickReportResult:
    """FAILED -> CORRECTED: re-parse a corrected text and create or update the event.

    The original text stays on the message; the corrected one is kept
    beside it. A correction that still cannot be parsed raises
    QuickReportRejected and leaves the message failed, with the new error
    stored. Raises PermissionDenied (403) before InvalidTransition (409) for a
    message that is not failed.
    """
    problem: QuickReportParseError | None = None
    with transaction.atomic():
        message = _message_lock(actor, message)
        QUICK_REPORT_WORKFLOW.check(actor, message, "correct")
        if actor is None:  # the workflow's check refuses anonymous callers; this narrows the type
            raise RuntimeError("a quick-report correction without an actor passed the workflow check")
        text = (text or "").strip()
        if not text:
            raise InvalidInput(_("The corrected message is empty."), field="text")
        try:
            report = parse_quick_report(text, received_at=message.received_at)
        except QuickReportParseError as exc:
            # No move: the message stays failed, with the new error beside the new text.
            problem = exc
            message.corrected_text = text
            message.error = exc.message
            message.error_part = exc.part
            message.save(update_fields=["corrected_text", "error", "error_part", "updated_at"])
        else:
            event, created, _changed = _record_report(actor=actor, report=report, text=text)
            message = transition(
                message,
                "correct",
                actor,
                workflow=QUICK_REPORT_WORKFLOW,
                corrected_text=text,
                error="",
                error_part="",
                event=event,
                corrected_by=actor.user,
            )
    if problem is not None:
        raise QuickReportRejected(problem.message, field=problem.part, inbox_message=message)
    return QuickReportResult(message=message, event=event, created=created, repeated=False)
