"""Meetings: creating, editing, opening, closing; their materials."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from consultations import permissions as perms
from consultations.models import Conclusion, Meeting, MeetingKind, MeetingMaterial, MeetingRepresentative
from portal import hooks, uploads
from portal.exceptions import InvalidInput, InvalidTransition, PermissionDenied
from portal.links import check_link
from portal.models import Bureau, Discipline, Membership, Notification, Role, User
from portal.selectors import person_can
from portal.services import audit_record
from portal.validators import clean_title, max_length_of
from portal.workflow import Handoff, Transition, Workflow, register, register_labels, row_lock, transition

from .room import _room_event, _take_part_refused

if TYPE_CHECKING:
    from collections.abc import Iterable

    from portal.tenancy import Actor


def _members_of(bureau_ids: Iterable[int]) -> set[int]:
    return set(
        Membership.objects.filter(
            bureau_id__in=list(bureau_ids), revoked_at__isnull=True, user__is_active=True
        ).values_list("user_id", flat=True)
    )


def _check_people(meeting_bureaus: set[int], people: dict[str, Iterable[User | None]]) -> None:
    allowed = _members_of(meeting_bureaus)
    for field, users in people.items():
        for user in users:
            if user is not None and user.pk not in allowed:
                raise InvalidInput(
                    _("%(name)s holds no role in the meeting's bureaus.") % {"name": user.label}, field=field
                )
    # A meeting is chaired by a chair: the same rule as the page's picker (people_who_can).
    for chair in people.get("chair", ()):
        if chair is not None and not person_can(user=chair, bureau_ids=meeting_bureaus, role=Role.CHAIR):
            raise InvalidInput(
                _("%(name)s is not a chair of the meeting's bureaus.") % {"name": chair.label}, field="chair"
            )


#: A meeting is scheduled, or its times changed, no further than this before or after
#: today: wider than any real planning horizon (an annual meeting is planned a year
#: ahead; a past meeting is recorded within weeks), narrow enough that a typed 0001 or
#: 9999 is refused instead of heading the calendar.
MEETING_WINDOW_BEFORE = dt.timedelta(days=366)
MEETING_WINDOW_AFTER = dt.timedelta(days=2 * 366)


def _check_in_window(value: dt.datetime, field: str) -> None:
    today = timezone.localdate()
    earliest, latest = today - MEETING_WINDOW_BEFORE, today + MEETING_WINDOW_AFTER
    if not earliest <= timezone.localdate(value) <= latest:
        raise InvalidInput(
            _("A meeting date lies between %(earliest)s and %(latest)s (one year back, two ahead).")
            % {"earliest": earliest.isoformat(), "latest": latest.isoformat()},
            field=field,
        )


def _same_minute(a: dt.datetime | None, b: dt.datetime | None) -> bool:
    """The page edits times to the minute; an unchanged time comes back without its seconds."""
    if a is None or b is None:
        return a is b
    return a.replace(second=0, microsecond=0) == b.replace(second=0, microsecond=0)


def _check_times(
    starts_at: dt.datetime | None,
    ends_at: dt.datetime | None,
    *,
    changed: Iterable[str] = ("starts_at", "ends_at"),
) -> None:
    """Start given, end not before it, and each time that is new within the window.

    ``changed`` names the times being set: a meeting recorded long ago keeps its
    dates when only its agenda is edited.
    """
    if starts_at is None:
        raise InvalidInput(_("A meeting needs a start time."), field="starts_at")
    if "starts_at" in changed:
        _check_in_window(starts_at, "starts_at")
    if ends_at is not None and "ends_at" in changed:
        _check_in_window(ends_at, "ends_at")
    if ends_at is not None and ends_at < starts_at:
        raise InvalidInput(_("The meeting cannot end before it starts."), field="ends_at")


@transaction.atomic
def meeting_create(
    *,
    actor: Actor,
    kind: str,
    title: str,
    starts_at: dt.datetime,
    chair: User | None = None,
    recorder: User | None = None,
    participants: Iterable[User] = (),
    joint_bureaus: Iterable[Bureau] = (),
    agenda: str = "",
    place: str = "",
    ends_at: dt.datetime | None = None,
    representatives: dict[str, User | None] | None = None,
) -> Meeting:
    """Schedule a meeting of the actor's bureau (chairs and forecasters).

    ``representatives`` maps a discipline code to the expert who speaks for it; they
    join the participants.
    """
    if not perms.can_create_meeting(actor):
        raise PermissionDenied(_("Only a chair or a forecaster can schedule a consultation meeting."))
    if actor.bureau is None:  # can_create_meeting requires one; this narrows the type
        raise RuntimeError("can_create_meeting let an actor without a bureau through")
    if kind not in MeetingKind.values:
        raise InvalidInput(_("Unknown meeting type %(kind)s.") % {"kind": kind}, field="kind")
    title = clean_title(title, max_length=max_length_of(Meeting, "title"))
    _check_times(starts_at, ends_at)
    partners = [b for b in joint_bureaus if b.pk != actor.bureau_id]
    participants = list(participants)
    bureau_ids = {actor.bureau.pk, *(b.pk for b in partners)}
    chair = chair or actor.user
    _check_people(bureau_ids, {"chair": [chair], "recorder": [recorder], "participants": participants})
    meeting = Meeting.objects.create(
        bureau=actor.bureau,
        kind=kind,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place,
        chair=chair,
        recorder=recorder,
        agenda=agenda,
        created_by=actor.user,
    )
    meeting.joint_bureaus.set(partners)
    meeting.participants.set(participants)
    if representatives:
        _set_representatives(meeting, bureau_ids, representatives)
    Conclusion.objects.create(bureau=meeting.bureau, meeting=meeting)
    audit_record(
        actor=actor,
        action="meeting.create",
        target=meeting,
        to_state=meeting.status,
        extra={"joint": sorted(b.code for b in partners)},
    )
    return meeting


MEETING_FIELDS = ("title", "agenda", "place", "starts_at", "ends_at")


@transaction.atomic
def meeting_update(*, actor: Actor, meeting: Meeting, **data: Any) -> Meeting:
    """Change the agenda, times, place, chair, recorder or participants."""
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if not perms.can_manage_meeting(actor, meeting):
        raise PermissionDenied(_("Only the chair or a forecaster of the meeting's bureau can change it."))
    if meeting.status == Meeting.Status.CLOSED:
        raise InvalidTransition(_("The meeting is closed; its record no longer changes."))
    if data.get("title") is not None:
        data["title"] = clean_title(data["title"], max_length=max_length_of(Meeting, "title"))
    moved = [
        name
        for name in ("starts_at", "ends_at")
        if data.get(name) is not None and not _same_minute(data[name], getattr(meeting, name))
    ]
    for name in MEETING_FIELDS:
        if name in data and data[name] is not None:
            setattr(meeting, name, data[name].strip() if isinstance(data[name], str) else data[name])
    _check_times(meeting.starts_at, meeting.ends_at, changed=moved)
    bureau_ids = perms.meeting_bureau_ids(meeting)
    people: dict[str, Iterable[User | None]] = {
        k: ([data[k]] if k != "participants" else list(data[k]))
        for k in ("chair", "recorder", "participants")
        if k in data
    }
    _check_people(bureau_ids, people)
    if data.get("chair"):
        meeting.chair = data["chair"]
    if "recorder" in data:
        meeting.recorder = data["recorder"]
    meeting.save()
    if "participants" in data:
        meeting.participants.set(list(data["participants"]))
    if data.get("representatives") is not None:
        _set_representatives(meeting, bureau_ids, data["representatives"])
    changed = sorted(
        k for k in data if k in (*MEETING_FIELDS, "chair", "recorder", "participants", "representatives")
    )
    audit_record(actor=actor, action="meeting.update", target=meeting, extra={"fields": changed})
    _room_event(
        meeting,
        "meeting",
        {"agenda": meeting.agenda, "title": meeting.title, "participants": _participant_names(meeting)},
        actor.user,
    )
    return meeting


def _set_representatives(meeting: Meeting, bureau_ids: set[int], wanted: dict[str, User | None]) -> None:
    """Replace the representatives of the disciplines named in ``wanted`` (None clears one).

    A representative must be an expert of that discipline in one of the meeting's bureaus.
    """
    disciplines = {d.code: d for d in Discipline.objects.filter(code__in=list(wanted))}
    for code, user in wanted.items():
        discipline = disciplines.get(code)
        if discipline is None:
            raise InvalidInput(_("Unknown discipline %(code)s.") % {"code": code}, field="representatives")
        MeetingRepresentative.objects.filter(meeting=meeting, discipline=discipline).delete()
        if user is None:
            continue
        expert = Membership.objects.filter(
            user=user, bureau_id__in=bureau_ids, role=Role.EXPERT, revoked_at__isnull=True
        ).filter(Q(discipline=discipline) | Q(discipline__isnull=True))
        if not expert.exists():
            raise InvalidInput(
                _("%(name)s is not an expert of %(discipline)s in the meeting's bureaus.")
                % {"name": user.label, "discipline": discipline.name_zh},
                field="representatives",
            )
        MeetingRepresentative.objects.create(meeting=meeting, discipline=discipline, user=user)
        meeting.participants.add(user)


def _participant_names(meeting: Meeting) -> list[str]:
    return [u.label for u in meeting.participants.order_by("username")]


# Callers fetched the meeting through the selectors; another bureau's is refused by the
# permission (403).
_lock_meeting = row_lock(Meeting)


def _to_participants(meeting: Meeting, actor: Actor | None, comment: str) -> list[Handoff]:
    """Opening the meeting asks its participants in: opinions and votes are taken now."""
    skip = actor.user.pk if actor else None
    people = [u for u in meeting.participants.filter(is_active=True) if u.pk != skip]
    title = _("Consultation meeting in session: %(title)s") % {"title": meeting.title}
    return [Handoff(people, title=title, body=meeting.place, level=Notification.Level.WARNING)]


MeetingStatus = Meeting.Status

# action -> (states it starts from, state it ends in, who may, what it is called, button, who is told)
MEETING_WORKFLOW = register(
    Workflow(
        name="meeting",
        model=Meeting,
        state_field="status",
        noun=gettext_lazy("consultation meeting"),
        lock=_lock_meeting,
        url=lambda meeting: meeting.get_absolute_url(),
        transitions={
            "open": Transition(
                frozenset({MeetingStatus.SCHEDULED}),
                MeetingStatus.OPEN,
                perms.can_chair_meeting,
                pgettext_lazy("meeting history", "opened"),
                gettext_lazy("Open the meeting"),
                notify=_to_participants,
            ),
            "close": Transition(
                frozenset({MeetingStatus.OPEN}),
                MeetingStatus.CLOSED,
                perms.can_chair_meeting,
                pgettext_lazy("meeting history", "closed"),
                gettext_lazy("End the meeting"),
            ),
        },
    )
)
register_labels(
    {
        "meeting.create": gettext_lazy("meeting scheduled"),
        "meeting.update": gettext_lazy("meeting changed"),
    }
)

# The table by state (state -> the states it may move to), as other modules read it.
MEETING_MOVES = {
    state: {step.target for step in MEETING_WORKFLOW.transitions.values() if state in step.sources}
    for state in (MeetingStatus.SCHEDULED, MeetingStatus.OPEN)
}


def _meeting_move(actor: Actor, meeting: Meeting, action: str, **changes: Any) -> Meeting:
    meeting = transition(meeting, action, actor, workflow=MEETING_WORKFLOW, **changes)
    _room_event(
        meeting, "status", {"status": meeting.status, "label": str(meeting.get_status_display())}, actor.user
    )
    return meeting


@transaction.atomic
def meeting_open(*, actor: Actor, meeting: Meeting) -> Meeting:
    """SCHEDULED → OPEN, by the chair; the participants are asked in."""
    return _meeting_move(actor, meeting, "open")


@transaction.atomic
def meeting_close(*, actor: Actor, meeting: Meeting) -> Meeting:
    """OPEN → CLOSED, by the chair. Opinions, the conclusion and votes are final from now on.

    The apps above hear it on commit (hook ``meeting.closed``: a trend report's meeting sections)."""
    meeting = _meeting_move(actor, meeting, "close", closed_at=timezone.now())
    hooks.fire("meeting.closed", meeting_id=meeting.pk, bureau_id=meeting.bureau_id)
    return meeting


MATERIAL_TYPES = uploads.DOCUMENTS  # pictures, PDF, Office files, CSV and text: never HTML or SVG
MATERIAL_MAX_BYTES = 50 * 1024 * 1024


def material_max_bytes() -> int:
    return int(getattr(settings, "CONSULTATIONS_MATERIAL_MAX_BYTES", MATERIAL_MAX_BYTES))


@transaction.atomic
def material_attach(
    *,
    actor: Actor | None,
    meeting: Meeting,
    kind: str,
    title: str,
    object_id: str = "",
    url: str = "",
    file: Any = None,
) -> MeetingMaterial:
    """Put a product, anomaly, event, file or report before the meeting (once per object)."""
    if actor is not None and not perms.can_take_part(actor, meeting):
        raise _take_part_refused()
    if kind not in MeetingMaterial.Kind.values:
        raise InvalidInput(_("Unknown material kind %(kind)s.") % {"kind": kind}, field="kind")
    title = clean_title(title, max_length=max_length_of(MeetingMaterial, "title"))
    if kind == MeetingMaterial.Kind.FILE and file is None and not url:
        raise InvalidInput(_("Attach a file or give a link."), field="file")
    url = check_link(url, field="url")
    checked = (
        uploads.check_upload(file, allowed=MATERIAL_TYPES, field="file", max_bytes=material_max_bytes())
        if file is not None
        else None
    )
    object_id = str(object_id or "")
    if object_id:
        existing = MeetingMaterial.objects.filter(meeting=meeting, kind=kind, object_id=object_id).first()
        if existing:
            return existing
    user = actor.user if actor else None
    material = MeetingMaterial(
        bureau_id=meeting.bureau_id,
        meeting=meeting,
        kind=kind,
        object_id=object_id,
        title=title,
        url=url,
        added_by=user,
    )
    if checked is not None:
        material.file = uploads.store(checked, kind="materials", bureau_id=meeting.bureau_id)
    try:
        with transaction.atomic():
            material.save()
    except IntegrityError:  # attached by a concurrent call in the meantime
        return MeetingMaterial.objects.get(meeting=meeting, kind=kind, object_id=object_id)
    _room_event(
        meeting,
        "material",
        {"kind": kind, "title": material.title, "url": material.href},
        user,
    )
    return material


def _url(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""
