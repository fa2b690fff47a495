"""Emergency and post-earthquake meetings opened when a quake arrives; their settings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.exceptions import InvalidInput, PermissionDenied
from portal.models import Bureau, Membership, Notification, Role, User
from portal.services import audit_record, notify_bureau, notify_user
from portal.tenancy import Actor

from ..models import (
    Conclusion,
    EmergencySettings,
    Meeting,
    MeetingKind,
    MeetingMaterial,
)
from .forecasts import _magnitude
from .meetings import _check_people, material_attach
from .topic_reports import _attach_topic_report, _topic_report_for

DEFAULT_THRESHOLD = Decimal("3.0")
DEFAULT_EMERGENCY = Decimal("5.0")


def _bureaus_reached(
    lon: float, lat: float, magnitude: float
) -> list[tuple[Bureau, EmergencySettings | None]]:
    """Bureaus whose jurisdiction (plus their distance) holds the epicentre and whose
    threshold the magnitude reaches. Provinces without settings use M3.0 and distance 0;
    national units only take part when they have settings."""
    settings_by_bureau = {s.bureau_id: s for s in EmergencySettings.objects.select_related("bureau")}
    candidates = Bureau.objects.filter(is_active=True, jurisdiction__isnull=False).filter(
        kind=Bureau.Kind.PROVINCIAL
    ) | Bureau.objects.filter(pk__in=list(settings_by_bureau))
    from django.db.models.expressions import RawSQL

    # geography distance in metres: 0 inside the polygon
    rows = candidates.filter(jurisdiction__isnull=False).annotate(
        metres=RawSQL(
            "ST_Distance(jurisdiction::geography, ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography)",
            (lon, lat),
        )
    )
    reached = []
    for bureau in rows:
        setting = settings_by_bureau.get(bureau.pk)
        if setting is not None and not setting.enabled:
            continue
        threshold = setting.threshold_magnitude if setting else DEFAULT_THRESHOLD
        distance_m = (setting.distance_km if setting else 0.0) * 1000.0
        if Decimal(str(magnitude)) >= threshold and bureau.metres <= distance_m + 1.0:
            reached.append((bureau, setting))
    return reached


def _event_facts(event: Any) -> dict[str, Any]:
    url = ""
    try:
        url = event.get_absolute_url()
    except (AttributeError, NoReverseMatch):
        url = ""
    return {
        "url": url,
        "id": event.pk,
        "public_id": getattr(event, "public_id", str(event.pk)),
        "version": getattr(event, "version", 1),
        "magnitude": float(event.magnitude),
        "lon": float(event.location.x) if getattr(event, "location", None) else float(event.longitude),
        "lat": float(event.location.y) if getattr(event, "location", None) else float(event.latitude),
        "time": event.origin_time,
        "place": getattr(event, "location_name", "") or "",
    }


# Older quakes (a catalog import, a late revision of a historical event) open no meeting.
RECENT_HOURS = 72


def emergency_meetings_for_event(*, event_id: int, source: str = "quick_report") -> list[Meeting]:
    """Open (once per event and bureau) the emergency or post-earthquake meeting of every
    bureau the quake concerns, attach the event and any special-topic report, and alert
    the people on duty. Safe to call again for the same event.

    Imported catalogs and quakes older than RECENT_HOURS are history, not emergencies.
    """
    if source == "import":
        return []
    try:
        from catalog.selectors import event_get_for_worker
    except ImportError:  # the catalog app is not installed in this deployment
        return []
    event = event_get_for_worker(event_id=event_id)
    if event is None or getattr(event, "magnitude", None) is None:
        return []
    if getattr(event, "status", "") == "deleted":
        return []
    if event.origin_time < timezone.now() - dt.timedelta(hours=RECENT_HOURS):
        return []
    facts = _event_facts(event)
    meetings = []
    for bureau, setting in _bureaus_reached(facts["lon"], facts["lat"], facts["magnitude"]):
        meeting = meeting_open_for_event(bureau=bureau, setting=setting, facts=facts)
        if meeting is not None:
            meetings.append(meeting)
    return meetings


def _on_duty(bureau: Bureau, setting: EmergencySettings | None) -> list[User]:
    if setting is not None:
        people = list(setting.on_duty.filter(is_active=True).order_by("username"))
        if people:
            return people
    return []


def _default_chair(bureau: Bureau, on_duty: list[User]) -> User | None:
    chairs = set(
        Membership.objects.filter(bureau=bureau, role=Role.CHAIR, revoked_at__isnull=True).values_list(
            "user_id", flat=True
        )
    )
    for person in on_duty:
        if person.pk in chairs:
            return person
    if on_duty:
        return on_duty[0]
    return User.objects.filter(pk__in=chairs, is_active=True).order_by("username").first()


def meeting_open_for_event(
    *, bureau: Bureau, setting: EmergencySettings | None, facts: dict[str, Any]
) -> Meeting | None:
    """The bureau's meeting for one quake, created on the first call only."""
    existing = Meeting.objects.filter(bureau=bureau, trigger_event_id=facts["id"]).first()
    if existing is not None:
        return existing
    emergency_at = setting.emergency_magnitude if setting else DEFAULT_EMERGENCY
    kind = (
        MeetingKind.EMERGENCY
        if Decimal(str(facts["magnitude"])) >= emergency_at
        else MeetingKind.POST_EARTHQUAKE
    )
    on_duty = _on_duty(bureau, setting)
    chair = _default_chair(bureau, on_duty)
    label = MeetingKind(kind).label
    title = _("%(kind)s consultation: M%(mag).1f %(place)s") % {
        "kind": label,
        "mag": facts["magnitude"],
        "place": facts["place"] or facts["public_id"],
    }
    try:
        with transaction.atomic():
            meeting = Meeting.objects.create(
                bureau=bureau,
                kind=kind,
                title=title[:200],
                starts_at=timezone.now(),
                status=Meeting.Status.OPEN,
                chair=chair,
                agenda=_("Trend judgement after the M%(mag).1f earthquake at %(place)s (%(time)s).")
                % {
                    "mag": facts["magnitude"],
                    "place": facts["place"],
                    # the agenda is read by people: Beijing time, not the stored UTC
                    "time": timezone.localtime(facts["time"]).strftime("%Y-%m-%d %H:%M"),
                },
                trigger_event_id=facts["id"],
            )
            meeting.participants.set(on_duty)
            Conclusion.objects.create(bureau=bureau, meeting=meeting)
            audit_record(
                actor=None,
                action="meeting.open_for_event",
                target=meeting,
                to_state=meeting.status,
                extra={"event": facts["public_id"], "magnitude": facts["magnitude"]},
            )
            material_attach(
                actor=None,
                meeting=meeting,
                kind=MeetingMaterial.Kind.EVENT,
                object_id=str(facts["id"]),
                title=_("M%(mag).1f %(place)s") % {"mag": facts["magnitude"], "place": facts["place"]},
                url=facts["url"],
            )
            report = _topic_report_for(
                event_id=facts["id"], bureau_id=bureau.pk, event_version=facts["version"]
            )
            if report is not None:
                _attach_topic_report(meeting, report)
            _alert_on_duty(bureau, meeting, on_duty)
    except IntegrityError:  # another worker opened it first
        return Meeting.objects.filter(bureau=bureau, trigger_event_id=facts["id"]).first()
    return meeting


def _alert_on_duty(bureau: Bureau, meeting: Meeting, on_duty: list[User]) -> None:
    title = _("Meeting opened: %(title)s") % {"title": meeting.title}
    url = meeting.get_absolute_url()
    if on_duty:
        for person in on_duty:
            notify_user(
                user=person,
                bureau=bureau,
                title=title,
                body=meeting.agenda,
                url=url,
                level=Notification.Level.URGENT,
                kind="consultation_emergency",
            )
    else:
        notify_bureau(
            bureau=bureau,
            title=title,
            body=meeting.agenda,
            url=url,
            level=Notification.Level.URGENT,
            kind="consultation_emergency",
            roles=[Role.CHAIR, Role.FORECASTER],
        )


@transaction.atomic
def emergency_settings_save(
    *,
    actor: Actor,
    threshold_magnitude: Any,
    emergency_magnitude: Any,
    distance_km: float,
    enabled: bool,
    on_duty: Iterable[User],
) -> EmergencySettings:
    """The bureau's rule for opening meetings on quakes (bureau admin or chair)."""
    if actor.bureau is None or not (
        actor.is_system_admin or actor.has_role(Role.BUREAU_ADMIN) or actor.has_role(Role.CHAIR)
    ):
        raise PermissionDenied(_("Only the bureau admin or a chair sets the emergency rule."))
    threshold = _magnitude(threshold_magnitude, "threshold_magnitude", required=True)
    emergency = _magnitude(emergency_magnitude, "emergency_magnitude", required=True)
    if distance_km is None or not 0 <= float(distance_km) <= 1000:
        raise InvalidInput(_("The distance must be between 0 and 1000 km."), field="distance_km")
    on_duty = list(on_duty)
    _check_people({actor.bureau_id}, {"on_duty": on_duty})
    setting, _created = EmergencySettings.objects.update_or_create(
        bureau=actor.bureau,
        defaults={
            "threshold_magnitude": threshold,
            "emergency_magnitude": emergency,
            "distance_km": float(distance_km),
            "enabled": bool(enabled),
        },
    )
    setting.on_duty.set(on_duty)
    audit_record(
        actor=actor,
        action="emergency_settings.save",
        target=setting,
        extra={
            "threshold": str(threshold),
            "distance_km": float(distance_km),
            "on_duty": [u.username for u in on_duty],
        },
    )
    return setting
