"""Emergency and post-earthquake meetings opened when a quake arrives; their settings.

Whether a quake opens a meeting for a bureau is decided in ``catalog.arrival`` (fresh,
concerned, the bureau's alert rule asks for a meeting); this module opens it."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Event, EventStatus
from catalog.selectors import event_get_for_worker
from consultations.models import Conclusion, EmergencySettings, Meeting, MeetingKind, MeetingMaterial
from portal.exceptions import PermissionDenied
from portal.models import Bureau, Membership, Notification, Role, User
from portal.services import audit_record, notify_bureau, notify_user

from .forecasts import _magnitude
from .meetings import _check_people, material_attach

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from portal.tenancy import Actor

DEFAULT_EMERGENCY = Decimal("5.0")


def emergency_meeting_open(*, event_id: int, bureau_id: int) -> Meeting | None:
    """Open (once per event and bureau) the bureau's emergency or post-earthquake meeting on
    the quake, attach the event and its special-topic report if ready, alert who is on duty.

    The reaction to an arrival (task ``consultations.open_emergency_meeting``):
    ``catalog.arrival`` already decided that the quake is fresh and concerns the bureau,
    whose alert rule asks for a meeting. Safe to call again for the same event.
    """
    event = event_get_for_worker(event_id=event_id)
    bureau = Bureau.objects.filter(pk=bureau_id).first()
    if event is None or bureau is None or event.magnitude is None or event.status == EventStatus.DELETED:
        return None
    setting = EmergencySettings.objects.filter(bureau=bureau).prefetch_related("on_duty").first()
    return meeting_open_for_event(bureau=bureau, setting=setting, event=event)


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


def meeting_open_for_event(*, bureau: Bureau, setting: EmergencySettings | None, event: Event) -> Meeting:
    """The bureau's meeting for one quake, created on the first call only."""
    existing = Meeting.objects.filter(bureau=bureau, trigger_event_id=event.pk).first()
    if existing is not None:
        return existing
    if event.magnitude is None:  # emergency_meeting_open only calls this for a quake with a magnitude
        raise RuntimeError(f"event {event.pk} has no magnitude to open an emergency meeting for")
    emergency_at = setting.emergency_magnitude if setting else DEFAULT_EMERGENCY
    kind = (
        MeetingKind.EMERGENCY
        if Decimal(str(event.magnitude)) >= emergency_at
        else MeetingKind.POST_EARTHQUAKE
    )
    on_duty = _on_duty(bureau, setting)
    chair = _default_chair(bureau, on_duty)
    label = MeetingKind(kind).label
    title = _("%(kind)s consultation: M%(mag).1f %(place)s") % {
        "kind": label,
        "mag": event.magnitude,
        "place": event.location_name or event.public_id,
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
                    "mag": event.magnitude,
                    "place": event.location_name,
                    # the agenda is read by people: Beijing time, not the stored UTC
                    "time": timezone.localtime(event.origin_time).strftime("%Y-%m-%d %H:%M"),
                },
                trigger_event_id=event.pk,
            )
            meeting.participants.set(on_duty)
            Conclusion.objects.create(bureau=bureau, meeting=meeting)
            audit_record(
                actor=None,
                action="meeting.open_for_event",
                target=meeting,
                to_state=meeting.status,
                extra={"event": event.public_id, "magnitude": event.magnitude},
            )
            material_attach(
                actor=None,
                meeting=meeting,
                kind=MeetingMaterial.Kind.EVENT,
                object_id=str(event.pk),
                title=_("M%(mag).1f %(place)s") % {"mag": event.magnitude, "place": event.location_name},
                url=event.get_absolute_url(),
            )
            # The report may be ready already, or become ready while this commits: looked up
            # after the commit, then either this finds it or its topic_report.ready finds us.
            transaction.on_commit(_attach_ready_report_later(event.pk, bureau.pk))
            _alert_on_duty(bureau, meeting, on_duty)
    except IntegrityError:  # another worker opened it first
        return Meeting.objects.get(bureau=bureau, trigger_event_id=event.pk)
    return meeting


def _attach_ready_report_later(event_id: int, bureau_id: int) -> Callable[[], None]:
    def enqueue() -> None:
        from consultations.tasks import attach_ready_topic_report_task

        attach_ready_topic_report_task.delay(event_id=event_id, bureau_id=bureau_id)

    return enqueue


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
    emergency_magnitude: Any,
    on_duty: Iterable[User],
) -> EmergencySettings:
    """How the bureau's meetings on quakes open: the magnitude from which a meeting is an
    emergency one, and who is on duty (bureau admin or chair). Whether a quake opens one at
    all is the bureau's alert rule (``catalog.arrival``)."""
    if actor.bureau is None or not (
        actor.is_system_admin or actor.has_role(Role.BUREAU_ADMIN) or actor.has_role(Role.CHAIR)
    ):
        raise PermissionDenied(_("Only the bureau admin or a chair sets the emergency rule."))
    emergency = _magnitude(emergency_magnitude, "emergency_magnitude", required=True)
    on_duty = list(on_duty)
    _check_people({actor.bureau.pk}, {"on_duty": on_duty})
    setting, _created = EmergencySettings.objects.update_or_create(
        bureau=actor.bureau,
        defaults={"emergency_magnitude": emergency},
    )
    setting.on_duty.set(on_duty)
    audit_record(
        actor=actor,
        action="emergency_settings.save",
        target=setting,
        extra={"emergency": str(emergency), "on_duty": [u.username for u in on_duty]},
    )
    return setting
