"""Writes of consultations: meetings, opinions, the live room, the conclusion, and the
consultation report's workflow (one service per transition).

Every change to a meeting's room writes a :class:`RoomEvent` with the next per-meeting
sequence number and pushes it to the room's group on commit; a client that reconnects
asks for the events after the last number it saw.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from disciplines.models import Discipline
from portal import uploads
from portal.exceptions import InvalidInput, InvalidTransition, PermissionDenied
from portal.geo import parse_area
from portal.links import check_link, safe_link
from portal.models import Bureau, Membership, Notification, Role, User
from portal.selectors import person_can
from portal.services import audit_record, broadcast, broadcast_on_commit, notify_bureau, notify_user
from portal.tenancy import Actor
from portal.validators import WORK_DATE_MAX, WORK_DATE_MIN, clean_title, is_work_date

from . import permissions as perms
from .models import (
    Comment,
    Conclusion,
    ConsultationReport,
    DisciplineOpinion,
    EmergencySettings,
    Forecast,
    Likelihood,
    Meeting,
    MeetingKind,
    MeetingMaterial,
    MeetingRepresentative,
    OpinionRevision,
    ReportStatus,
    RoomEvent,
    RoomPresence,
    Vote,
)

logger = logging.getLogger(__name__)

# Forecast regions must lie in the part of the world the bureaus forecast for.
SENSIBLE_AREA = (60.0, 0.0, 150.0, 60.0)  # lon_min, lat_min, lon_max, lat_max
# A provincial meeting's regions must come within this many degrees (~330 km) of its bureaus.
NEAR_JURISDICTION_DEGREES = 3.0
MAX_WINDOW_DAYS = 400


def _take_part_refused() -> PermissionDenied:
    """The refusal of ``permissions.can_take_part``, in the request's language."""
    return PermissionDenied(
        _(
            "Only people with a working role (expert, forecaster, chair, approver) in the "
            "meeting's bureaus vote, comment and add material; others read."
        )
    )


def room_group(meeting: Meeting) -> str:
    """Channels group of a meeting's live room; carries the owning bureau."""
    return f"bureau.{meeting.bureau_id}.meeting.{meeting.pk}"


# --- the room's event log ----------------------------------------------------------


def _room_event(meeting: Meeting, kind: str, payload: dict[str, Any], user: User | None) -> RoomEvent:
    """Append to the room log with the next sequence number and push it on commit.

    The counter is bumped with an UPDATE, which holds the meeting row's lock until the
    transaction ends: two writers never get the same number, and numbers appear in the
    order the transactions commit.
    """
    Meeting.objects.filter(pk=meeting.pk).update(last_seq=F("last_seq") + 1)
    seq = Meeting.objects.values_list("last_seq", flat=True).get(pk=meeting.pk)
    event = RoomEvent.objects.create(meeting=meeting, seq=seq, kind=kind, payload=payload, actor=user)
    broadcast_on_commit(room_group(meeting), room_event_message(event))
    return event


def room_event_message(event: RoomEvent) -> dict[str, Any]:
    payload = event.payload
    if event.kind == "material" and isinstance(payload, dict):
        # the room puts the link into href: events logged before links were checked may hold any URL
        payload = {**payload, "url": safe_link(payload.get("url"))}
    return {
        "kind": "room",
        "seq": event.seq,
        "type": event.kind,
        "payload": payload,
        "actor": event.actor.label if event.actor_id and event.actor else None,
        "at": event.created_at.isoformat(),
    }


def room_join(*, user: User, meeting: Meeting, channel_name: str) -> list[dict[str, Any]]:
    """Record an open socket and return who is present (for the newcomer's welcome).

    Presence is live only (not in the room log). The others hear of a person once, when
    their first socket opens: a small ``join`` message, not the whole list, so a room of
    n people costs n messages per arrival rather than n lists of n names.
    """
    with transaction.atomic():
        first = not RoomPresence.objects.filter(meeting=meeting, user=user).exists()
        RoomPresence.objects.update_or_create(
            channel_name=channel_name, defaults={"meeting": meeting, "user": user}
        )
    if first:
        broadcast(
            room_group(meeting),
            {"kind": "presence", "op": "join", "user": {"id": user.pk, "name": user.label}},
        )
    from .selectors import room_present

    return room_present(meeting=meeting)


def room_leave(*, meeting: Meeting, channel_name: str) -> None:
    """Forget a closed socket; the others hear when the person's last socket closed."""
    row = RoomPresence.objects.filter(channel_name=channel_name).first()
    if row is None:
        return
    row.delete()
    if not RoomPresence.objects.filter(meeting=meeting, user_id=row.user_id).exists():
        broadcast(room_group(meeting), {"kind": "presence", "op": "leave", "user": {"id": row.user_id}})


# --- meetings ----------------------------------------------------------------------


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
    assert actor.bureau is not None  # can_create_meeting requires one
    if kind not in MeetingKind.values:
        raise InvalidInput(_("Unknown meeting type %(kind)s.") % {"kind": kind}, field="kind")
    title = clean_title(title, max_length=Meeting._meta.get_field("title").max_length)
    _check_times(starts_at, ends_at)
    partners = [b for b in joint_bureaus if b.pk != actor.bureau_id]
    participants = list(participants)
    bureau_ids = {actor.bureau_id, *(b.pk for b in partners)}
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
        data["title"] = clean_title(data["title"], max_length=Meeting._meta.get_field("title").max_length)
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
    people = {
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


MEETING_MOVES = {
    Meeting.Status.SCHEDULED: {Meeting.Status.OPEN},
    Meeting.Status.OPEN: {Meeting.Status.CLOSED},
}


def _meeting_move(actor: Actor, meeting: Meeting, to: str, action: str) -> Meeting:
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if not perms.can_chair_meeting(actor, meeting):  # permission first: 403 before 409
        raise PermissionDenied(_("Only the meeting's chair can open or close it."))
    if to not in MEETING_MOVES.get(meeting.status, set()):
        raise InvalidTransition(
            _("A meeting that is %(state)s cannot move to %(to)s.")
            % {"state": meeting.get_status_display(), "to": Meeting.Status(to).label}
        )
    previous = meeting.status
    meeting.status = to
    if to == Meeting.Status.CLOSED:
        meeting.closed_at = timezone.now()
    meeting.save(update_fields=["status", "closed_at", "updated_at"])
    audit_record(actor=actor, action=action, target=meeting, from_state=previous, to_state=to)
    _room_event(meeting, "status", {"status": to, "label": str(meeting.get_status_display())}, actor.user)
    return meeting


@transaction.atomic
def meeting_open(*, actor: Actor, meeting: Meeting) -> Meeting:
    """SCHEDULED → OPEN, by the chair."""
    return _meeting_move(actor, meeting, Meeting.Status.OPEN, "meeting.open")


@transaction.atomic
def meeting_close(*, actor: Actor, meeting: Meeting) -> Meeting:
    """OPEN → CLOSED, by the chair. Opinions, the conclusion and votes are final from now on."""
    return _meeting_move(actor, meeting, Meeting.Status.CLOSED, "meeting.close")


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
    title = clean_title(title, max_length=MeetingMaterial._meta.get_field("title").max_length)
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


# --- validation of forecasts -------------------------------------------------------


def parse_region(value: Any, *, field: str, meeting: Meeting) -> MultiPolygon:
    """A forecast region: valid GeoJSON, inside lon 60–150°E / lat 0–60°N, and for a
    provincial meeting within about 330 km of one of its bureaus' jurisdictions."""
    area = parse_area(value, field=field)
    xmin, ymin, xmax, ymax = area.extent
    lon0, lat0, lon1, lat1 = SENSIBLE_AREA
    if xmin < lon0 or xmax > lon1 or ymin < lat0 or ymax > lat1:
        raise InvalidInput(
            _(
                "The region lies outside the area forecasts are made for "
                "(longitude %(lon0)g–%(lon1)g°E, latitude %(lat0)g–%(lat1)g°N)."
            )
            % {"lon0": lon0, "lon1": lon1, "lat0": lat0, "lat1": lat1},
            field=field,
        )
    bureaus = list(Bureau.objects.filter(pk__in=perms.meeting_bureau_ids(meeting)))
    if bureaus and all(b.kind == Bureau.Kind.PROVINCIAL and b.jurisdiction for b in bureaus):
        near = any(
            b.jurisdiction.envelope.buffer(NEAR_JURISDICTION_DEGREES).intersects(area) for b in bureaus
        )
        if not near:
            raise InvalidInput(
                _("The region is far from the jurisdiction of %(bureaus)s.")
                % {"bureaus": ", ".join(b.name_zh for b in bureaus)},
                field=field,
            )
    return area


def _magnitude(value: Any, field: str, *, required: bool) -> Decimal | None:
    if value in (None, ""):
        if required:
            raise InvalidInput(_("A magnitude is required."), field=field)
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise InvalidInput(_("Not a magnitude: %(value)s") % {"value": value}, field=field) from None
    if not Decimal("0") <= number <= Decimal("9.5"):
        raise InvalidInput(_("A magnitude must be between 0 and 9.5."), field=field)
    return number


def _forecast_terms(
    *,
    window_start: dt.date | None,
    window_end: dt.date | None,
    min_magnitude: Any,
    max_magnitude: Any,
    likelihood: str,
    required: bool,
) -> tuple[Decimal | None, Decimal | None]:
    if required and (window_start is None or window_end is None):
        raise InvalidInput(_("A forecast needs a window start and end."), field="window_start")
    if (window_start is None) != (window_end is None):
        raise InvalidInput(_("Give both ends of the forecast window."), field="window_end")
    for name, day in (("window_start", window_start), ("window_end", window_end)):
        if day is not None and not is_work_date(day):  # 9999: a typo that would head every list
            raise InvalidInput(
                _("%(value)s is outside the years %(first)d to %(last)d.")
                % {"value": day.isoformat(), "first": WORK_DATE_MIN.year, "last": WORK_DATE_MAX.year},
                field=name,
            )
    if window_start and window_end:
        if window_end < window_start:
            raise InvalidInput(_("The forecast window ends before it starts."), field="window_end")
        if (window_end - window_start).days > MAX_WINDOW_DAYS:
            raise InvalidInput(
                _("A forecast window is at most %(days)d days.") % {"days": MAX_WINDOW_DAYS},
                field="window_end",
            )
    low = _magnitude(min_magnitude, "min_magnitude", required=required)
    high = _magnitude(max_magnitude, "max_magnitude", required=False)
    if low is not None and high is not None and high < low:
        raise InvalidInput(_("The largest magnitude is below the smallest."), field="max_magnitude")
    if likelihood and likelihood not in Likelihood.values:
        raise InvalidInput(_("Unknown likelihood %(value)s.") % {"value": likelihood}, field="likelihood")
    if required and not likelihood:
        raise InvalidInput(_("A forecast needs a likelihood."), field="likelihood")
    return low, high


# --- discipline opinions -----------------------------------------------------------


def _opinion_content(opinion: DisciplineOpinion) -> dict[str, Any]:
    return {
        "summary": opinion.summary,
        "anomalies_cited": opinion.anomalies_cited,
        "window_start": opinion.window_start.isoformat() if opinion.window_start else None,
        "window_end": opinion.window_end.isoformat() if opinion.window_end else None,
        "regions": json.loads(opinion.regions.geojson) if opinion.regions else None,
        "min_magnitude": str(opinion.min_magnitude) if opinion.min_magnitude is not None else None,
        "max_magnitude": str(opinion.max_magnitude) if opinion.max_magnitude is not None else None,
        "likelihood": opinion.likelihood,
    }


def _clean_anomalies(value: Any) -> list[dict[str, str]]:
    """Anomalies cited: a list of {id, title, url}; plain strings are titles."""
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise InvalidInput(_("Anomalies cited must be a list."), field="anomalies_cited")
    cleaned = []
    for index, item in enumerate(value):
        if isinstance(item, str):
            item = {"title": item}
        if not isinstance(item, dict) or not str(item.get("title") or item.get("id") or "").strip():
            raise InvalidInput(
                _("Anomaly %(n)d needs a title or an id.") % {"n": index + 1}, field="anomalies_cited"
            )
        cleaned.append(
            {
                "id": str(item.get("id", ""))[:64],
                "title": str(item.get("title") or item.get("id"))[:300],
                "url": check_link(str(item.get("url") or "")[:500], field="anomalies_cited"),
            }
        )
    return cleaned


@transaction.atomic
def opinion_submit(
    *,
    actor: Actor,
    meeting: Meeting,
    discipline: str,
    summary: str,
    anomalies_cited: Any = None,
    window_start: dt.date | None = None,
    window_end: dt.date | None = None,
    regions: Any = None,
    min_magnitude: Any = None,
    max_magnitude: Any = None,
    likelihood: str = "",
) -> DisciplineOpinion:
    """Submit or revise the actor's bureau's opinion of one discipline, until the meeting closes.

    Every submitted version is kept as an :class:`OpinionRevision`. Raises PermissionDenied
    for someone who is not an expert of the discipline in one of the meeting's bureaus.
    """
    discipline_obj = Discipline.objects.filter(code=discipline).first()
    if discipline_obj is None:
        raise InvalidInput(_("Unknown discipline %(code)s.") % {"code": discipline}, field="discipline")
    if not perms.can_give_opinion(actor, meeting, discipline):
        raise PermissionDenied(
            _("Only an expert of %(discipline)s in the meeting's bureaus can give this opinion.")
            % {"discipline": discipline_obj.name_zh}
        )
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.status == Meeting.Status.CLOSED:
        raise InvalidTransition(_("The meeting is closed; opinions can no longer be revised."))
    if not (summary or "").strip():
        raise InvalidInput(_("Say what the discipline observed."), field="summary")
    low, high = _forecast_terms(
        window_start=window_start,
        window_end=window_end,
        min_magnitude=min_magnitude,
        max_magnitude=max_magnitude,
        likelihood=likelihood,
        required=False,
    )
    area = parse_region(regions, field="regions", meeting=meeting) if regions else None
    opinion = (
        DisciplineOpinion.objects.select_for_update()
        .filter(meeting=meeting, bureau_id=actor.bureau_id, discipline=discipline_obj)
        .first()
    )
    created = opinion is None
    if opinion is None:
        opinion = DisciplineOpinion(
            meeting=meeting, bureau_id=actor.bureau_id, discipline=discipline_obj, revision=1
        )
    else:
        opinion.revision += 1
    opinion.author = actor.user
    opinion.summary = summary.strip()
    opinion.anomalies_cited = _clean_anomalies(anomalies_cited)
    opinion.window_start, opinion.window_end = window_start, window_end
    opinion.regions = area
    opinion.min_magnitude, opinion.max_magnitude = low, high
    opinion.likelihood = likelihood or ""
    opinion.save()
    OpinionRevision.objects.create(
        opinion=opinion, revision=opinion.revision, author=actor.user, content=_opinion_content(opinion)
    )
    audit_record(
        actor=actor,
        action="opinion.submit" if created else "opinion.revise",
        target=opinion,
        extra={"meeting": meeting.pk, "discipline": discipline, "revision": opinion.revision},
    )
    _room_event(meeting, "opinion", opinion_payload(opinion), actor.user)
    return opinion


def opinion_payload(opinion: DisciplineOpinion) -> dict[str, Any]:
    return {
        "id": opinion.pk,
        "discipline": opinion.discipline.code,
        "discipline_name": opinion.discipline.name_zh,
        "bureau": opinion.bureau.code if opinion.bureau_id else None,
        "author": opinion.author.label,
        "revision": opinion.revision,
        **_opinion_content(opinion),
    }


# --- conclusion, forecasts, votes, comments ----------------------------------------


def _require_open_for_chair(actor: Actor, meeting: Meeting) -> Meeting:
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if not perms.can_chair_meeting(actor, meeting):
        raise PermissionDenied(_("Only the meeting's chair writes the conclusion."))
    if meeting.status == Meeting.Status.CLOSED:
        raise InvalidTransition(_("The meeting is closed; the conclusion no longer changes."))
    return meeting


@transaction.atomic
def conclusion_edit(*, actor: Actor, meeting: Meeting, text: str) -> Conclusion:
    """The chair's conclusion draft; every participant sees it change live."""
    meeting = _require_open_for_chair(actor, meeting)
    conclusion, _created = Conclusion.objects.select_for_update().get_or_create(
        meeting=meeting, defaults={"bureau_id": meeting.bureau_id}
    )
    conclusion.text = text or ""
    conclusion.updated_by = actor.user
    conclusion.revision += 1
    conclusion.save()
    _room_event(meeting, "conclusion", {"text": conclusion.text, "revision": conclusion.revision}, actor.user)
    return conclusion


def forecast_payload(forecast: Forecast) -> dict[str, Any]:
    return {
        "id": forecast.pk,
        "window_start": forecast.window_start.isoformat(),
        "window_end": forecast.window_end.isoformat(),
        "region": json.loads(forecast.region.geojson),
        "min_magnitude": str(forecast.min_magnitude),
        "max_magnitude": str(forecast.max_magnitude) if forecast.max_magnitude is not None else None,
        "likelihood": forecast.likelihood,
        "note": forecast.note,
    }


@transaction.atomic
def forecast_add(
    *,
    actor: Actor,
    meeting: Meeting,
    window_start: dt.date,
    window_end: dt.date,
    region: Any,
    min_magnitude: Any,
    likelihood: str,
    max_magnitude: Any = None,
    note: str = "",
) -> Forecast:
    """Add a forecast record to the conclusion (chair, while the meeting is not closed)."""
    meeting = _require_open_for_chair(actor, meeting)
    low, high = _forecast_terms(
        window_start=window_start,
        window_end=window_end,
        min_magnitude=min_magnitude,
        max_magnitude=max_magnitude,
        likelihood=likelihood,
        required=True,
    )
    area = parse_region(region, field="region", meeting=meeting)
    conclusion, _created = Conclusion.objects.get_or_create(
        meeting=meeting, defaults={"bureau_id": meeting.bureau_id}
    )
    forecast = Forecast.objects.create(
        bureau_id=meeting.bureau_id,
        conclusion=conclusion,
        window_start=window_start,
        window_end=window_end,
        region=area,
        min_magnitude=low,
        max_magnitude=high,
        likelihood=likelihood,
        note=(note or "")[:300],
    )
    audit_record(actor=actor, action="forecast.add", target=forecast, extra={"meeting": meeting.pk})
    _room_event(meeting, "forecast", forecast_payload(forecast), actor.user)
    return forecast


@transaction.atomic
def forecast_remove(*, actor: Actor, meeting: Meeting, forecast_id: int) -> None:
    meeting = _require_open_for_chair(actor, meeting)
    deleted, _rows = Forecast.objects.filter(pk=forecast_id, conclusion__meeting=meeting).delete()
    if not deleted:
        raise InvalidInput(_("No such forecast in this meeting."), field="forecast")
    audit_record(actor=actor, action="forecast.remove", target=meeting, extra={"forecast": forecast_id})
    _room_event(meeting, "forecast_removed", {"id": forecast_id}, actor.user)


def _require_taking_part(actor: Actor, meeting: Meeting) -> Meeting:
    """Lock the meeting, then permission (403) before state (409)."""
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if not perms.can_take_part(actor, meeting):
        raise _take_part_refused()
    if meeting.status == Meeting.Status.CLOSED:
        raise InvalidTransition(_("The meeting is closed."))
    return meeting


@transaction.atomic
def vote_cast(*, actor: Actor, meeting: Meeting, choice: str, remark: str = "") -> Vote:
    """A show of hands on the conclusion; a later vote replaces the person's earlier one."""
    if choice not in Vote.Choice.values:
        raise InvalidInput(
            _("A vote is one of %(choices)s.") % {"choices": ", ".join(Vote.Choice.values)}, field="choice"
        )
    meeting = _require_taking_part(actor, meeting)
    vote, _created = Vote.objects.update_or_create(
        meeting=meeting, user=actor.user, defaults={"choice": choice, "remark": (remark or "")[:500]}
    )
    counts = dict.fromkeys(Vote.Choice.values, 0)
    for value in Vote.objects.filter(meeting=meeting).values_list("choice", flat=True):
        counts[value] += 1
    _room_event(
        meeting,
        "vote",
        {"user": actor.user.label, "choice": choice, "remark": vote.remark, "counts": counts},
        actor.user,
    )
    return vote


@transaction.atomic
def comment_add(*, actor: Actor, meeting: Meeting, text: str) -> Comment:
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("A comment cannot be empty."), field="text")
    if len(text) > 4000:
        raise InvalidInput(_("A comment is at most 4000 characters."), field="text")
    meeting = _require_taking_part(actor, meeting)
    comment = Comment.objects.create(meeting=meeting, author=actor.user, text=text)
    _room_event(meeting, "comment", {"id": comment.pk, "author": actor.user.label, "text": text}, actor.user)
    return comment


# --- consultation reports ----------------------------------------------------------

TRANSITIONS: dict[str, set[str]] = {
    ReportStatus.DRAFT: {ReportStatus.SUBMITTED},
    ReportStatus.RETURNED: {ReportStatus.SUBMITTED},
    ReportStatus.SUBMITTED: {ReportStatus.RETURNED, ReportStatus.REVIEWED},
    ReportStatus.REVIEWED: {ReportStatus.SIGNED_OFF, ReportStatus.RETURNED},
    ReportStatus.SIGNED_OFF: {ReportStatus.ISSUED},
    ReportStatus.ISSUED: {ReportStatus.ARCHIVED},
}


def report_content(report: ConsultationReport) -> dict[str, Any]:
    """What the report says: the frozen snapshot once signed off, the meeting as it is before."""
    if report.is_frozen and report.content:
        return report.content
    return meeting_snapshot(report.meeting)


def meeting_snapshot(meeting: Meeting) -> dict[str, Any]:
    """Everything a consultation report prints, as plain JSON (frozen at sign-off)."""
    conclusion = Conclusion.objects.filter(meeting=meeting).first()
    forecasts = list(conclusion.forecasts.all()) if conclusion else []
    opinions = DisciplineOpinion.objects.filter(meeting=meeting).select_related(
        "discipline", "author", "bureau"
    )
    counts = dict.fromkeys(Vote.Choice.values, 0)
    for value in Vote.objects.filter(meeting=meeting).values_list("choice", flat=True):
        counts[value] += 1
    joint = list(meeting.joint_bureaus.order_by("code"))
    return {
        "meeting": {
            "id": meeting.pk,
            "kind": meeting.kind,
            "title": meeting.title,
            "starts_at": meeting.starts_at.isoformat(),
            "ends_at": meeting.ends_at.isoformat() if meeting.ends_at else None,
            "place": meeting.place,
            "bureau": meeting.bureau.code,
            "bureau_name": meeting.bureau.name_zh,
            "joint": [b.name_zh for b in joint],
            "chair": meeting.chair.label if meeting.chair_id else "",
            "recorder": meeting.recorder.label if meeting.recorder_id else "",
            "agenda": meeting.agenda,
        },
        "participants": _participant_names(meeting),
        "representatives": [
            {"discipline": r.discipline.name_zh, "discipline_en": r.discipline.name_en, "name": r.user.label}
            for r in MeetingRepresentative.objects.filter(meeting=meeting).select_related(
                "discipline", "user"
            )
        ],
        "opinions": [{**opinion_payload(o), "discipline_en": o.discipline.name_en} for o in opinions],
        "conclusion": conclusion.text if conclusion else "",
        "forecasts": [forecast_payload(f) for f in forecasts],
        "votes": counts,
        "materials": [
            {"kind": m.kind, "title": m.title, "url": m.url}
            for m in MeetingMaterial.objects.filter(meeting=meeting).order_by("kind", "id")
        ],
    }


def _digest(content: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _locked(report: ConsultationReport) -> ConsultationReport:
    return ConsultationReport.objects.select_for_update().select_related("meeting").get(pk=report.pk)


def _require(report: ConsultationReport, to: str) -> None:
    if to not in TRANSITIONS.get(report.status, set()):
        raise InvalidTransition(
            _("A report that is %(state)s cannot be %(to)s.")
            % {"state": report.get_status_display(), "to": ReportStatus(to).label}
        )


def _move(
    actor: Actor, report: ConsultationReport, to: str, action: str, comment: str, fields: list[str]
) -> ConsultationReport:
    previous = report.status
    report.status = to
    report.save(update_fields=["status", "updated_at", *fields])
    audit_record(actor=actor, action=action, target=report, from_state=previous, to_state=to, comment=comment)
    broadcast_on_commit(
        f"bureau.{report.bureau_id}.consultation_reports",
        {"kind": "consultation_report", "id": report.pk, "status": to},
    )
    return report


@transaction.atomic
def report_create(*, actor: Actor, meeting: Meeting, title: str = "") -> ConsultationReport:
    """Start the report of a meeting (forecasters and chairs of the owning bureau).

    A meeting has one report in progress at a time; asking again returns it.
    """
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    probe = ConsultationReport(bureau_id=meeting.bureau_id, meeting=meeting)
    if not perms.can_draft_report(actor, probe):
        raise PermissionDenied(_("Only a forecaster or chair of the meeting's bureau drafts its report."))
    current = (
        ConsultationReport.objects.filter(meeting=meeting)
        .exclude(status__in=ConsultationReport.FROZEN)
        .first()
    )
    title_max = ConsultationReport._meta.get_field("title").max_length
    # No title: the meeting's name stands in (the meeting's own title passed the same rule).
    title = clean_title(title, max_length=title_max) if (title or "").strip() else ""
    if current is not None:
        return current
    version = (ConsultationReport.objects.filter(meeting=meeting).aggregate(v=Max("version"))["v"] or 0) + 1
    report = ConsultationReport.objects.create(
        bureau_id=meeting.bureau_id,
        meeting=meeting,
        version=version,
        title=title or (_("Consultation report: %(title)s") % {"title": meeting.title})[:title_max],
        created_by=actor.user,
    )
    audit_record(actor=actor, action="report.create", target=report, to_state=report.status)
    return report


@transaction.atomic
def report_update(
    *, actor: Actor, report: ConsultationReport, title: str | None = None, number: str | None = None
) -> ConsultationReport:
    """Change a draft's title or issue number. A signed report never changes."""
    report = _locked(report)
    if not perms.can_draft_report(actor, report):  # permission first: 403 before 409
        raise PermissionDenied(_("Only a forecaster or chair of the bureau edits its reports."))
    if report.is_frozen:
        raise InvalidTransition(_("A signed report never changes; issue a correction instead."))
    if report.status not in (ReportStatus.DRAFT, ReportStatus.RETURNED):
        raise InvalidTransition(_("Only a draft or a returned report can be edited."))
    if title is not None:
        report.title = clean_title(title, max_length=ConsultationReport._meta.get_field("title").max_length)
    if number is not None:
        report.number = number.strip()
    report.save(update_fields=["title", "number", "updated_at"])
    audit_record(actor=actor, action="report.update", target=report)
    return report


@transaction.atomic
def report_submit(*, actor: Actor, report: ConsultationReport, comment: str = "") -> ConsultationReport:
    """DRAFT/RETURNED → SUBMITTED, by a forecaster or chair, once the meeting has closed."""
    report = _locked(report)
    if not perms.can_draft_report(actor, report):
        raise PermissionDenied(_("Only a forecaster or chair submits a report for review."))
    _require(report, ReportStatus.SUBMITTED)
    if report.meeting.status != Meeting.Status.CLOSED:
        raise InvalidTransition(_("Close the meeting before submitting its report."))
    report.submitted_by, report.submitted_at = actor.user, timezone.now()
    return _move(
        actor, report, ReportStatus.SUBMITTED, "report.submit", comment, ["submitted_by", "submitted_at"]
    )


@transaction.atomic
def report_return(*, actor: Actor, report: ConsultationReport, comment: str) -> ConsultationReport:
    """SUBMITTED/REVIEWED → RETURNED with comments, by an approver."""
    report = _locked(report)
    if not perms.can_review_report(actor, report):
        raise PermissionDenied(_("Only an approver returns a report."))
    _require(report, ReportStatus.RETURNED)
    if not (comment or "").strip():
        raise InvalidInput(_("Say what needs changing when returning a report."), field="comment")
    report.review_comment = comment.strip()
    return _move(actor, report, ReportStatus.RETURNED, "report.return", comment, ["review_comment"])


@transaction.atomic
def report_review(*, actor: Actor, report: ConsultationReport, comment: str = "") -> ConsultationReport:
    """SUBMITTED → REVIEWED, by an approver."""
    report = _locked(report)
    if not perms.can_review_report(actor, report):
        raise PermissionDenied(_("Only an approver reviews a report."))
    _require(report, ReportStatus.REVIEWED)
    report.reviewed_by, report.reviewed_at = actor.user, timezone.now()
    return _move(
        actor, report, ReportStatus.REVIEWED, "report.review", comment, ["reviewed_by", "reviewed_at"]
    )


@transaction.atomic
def report_sign_off(*, actor: Actor, report: ConsultationReport, comment: str = "") -> ConsultationReport:
    """REVIEWED → SIGNED_OFF (签发), by an approver who did not submit it. Freezes the content."""
    report = _locked(report)
    if not perms.can_sign_off_report(actor, report):
        raise PermissionDenied(_("Only an approver who did not submit the report signs it off."))
    _require(report, ReportStatus.SIGNED_OFF)
    report.content = meeting_snapshot(report.meeting)
    report.content_sha256 = _digest(report.content)
    report.signed_off_by, report.signed_off_at = actor.user, timezone.now()
    return _move(
        actor,
        report,
        ReportStatus.SIGNED_OFF,
        "report.sign_off",
        comment,
        ["content", "content_sha256", "signed_off_by", "signed_off_at"],
    )


@transaction.atomic
def report_issue(*, actor: Actor, report: ConsultationReport, comment: str = "") -> ConsultationReport:
    """SIGNED_OFF → ISSUED: the level above (national units) can read it from now on."""
    report = _locked(report)
    if not perms.can_review_report(actor, report):
        raise PermissionDenied(_("Only an approver issues a report."))
    _require(report, ReportStatus.ISSUED)
    report.issued_at = timezone.now()
    report = _move(actor, report, ReportStatus.ISSUED, "report.issue", comment, ["issued_at"])
    url = _url("consultations:report-detail", report.pk)
    transaction.on_commit(lambda: _notify_issued(report.pk, url))
    return report


def _notify_issued(report_id: int, url: str) -> None:
    report = ConsultationReport.objects.select_related("bureau").get(pk=report_id)
    for bureau in Bureau.objects.filter(kind__in=[Bureau.Kind.NATIONAL, Bureau.Kind.CENTER], is_active=True):
        notify_bureau(
            bureau=bureau,
            title=_("%(bureau)s issued a consultation report") % {"bureau": report.bureau.name_zh},
            body=report.title,
            url=url,
            roles=[Role.FORECASTER, Role.CHAIR, Role.APPROVER],
            kind="consultation_report",
        )


@transaction.atomic
def report_archive(*, actor: Actor, report: ConsultationReport, comment: str = "") -> ConsultationReport:
    """ISSUED → ARCHIVED, by an approver or the bureau admin."""
    report = _locked(report)
    if not perms.can_archive_report(actor, report):
        raise PermissionDenied(_("Only an approver or the bureau admin archives a report."))
    _require(report, ReportStatus.ARCHIVED)
    report.archived_at = timezone.now()
    return _move(actor, report, ReportStatus.ARCHIVED, "report.archive", comment, ["archived_at"])


@transaction.atomic
def report_correct(*, actor: Actor, report: ConsultationReport, note: str) -> ConsultationReport:
    """A correction of a signed report: a new draft version that says what it corrects.

    The signed version stays exactly as it was.
    """
    report = _locked(report)
    if not perms.can_draft_report(actor, report):  # permission first: 403 before 409
        raise PermissionDenied(_("Only a forecaster or chair drafts a correction."))
    if not report.is_frozen:
        raise InvalidTransition(_("Only a signed-off report is corrected; a draft is simply edited."))
    if not (note or "").strip():
        raise InvalidInput(_("Say what the correction corrects."), field="note")
    if (
        ConsultationReport.objects.filter(meeting=report.meeting)
        .exclude(status__in=ConsultationReport.FROZEN)
        .exists()
    ):
        raise InvalidTransition(_("A correction of this meeting's report is already in progress."))
    version = (
        ConsultationReport.objects.filter(meeting=report.meeting).aggregate(v=Max("version"))["v"] or 0
    ) + 1
    correction = ConsultationReport.objects.create(
        bureau_id=report.bureau_id,
        meeting=report.meeting,
        version=version,
        corrects=report,
        correction_note=note.strip(),
        title=report.title,
        number=report.number,
        created_by=actor.user,
    )
    audit_record(
        actor=actor,
        action="report.correct",
        target=correction,
        to_state=correction.status,
        comment=note.strip(),
        extra={"corrects": report.pk, "corrects_version": report.version},
    )
    return correction


# --- emergency and post-earthquake meetings ----------------------------------------


def _url(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


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


def _reports_selectors() -> Any:
    try:
        from reports import selectors as report_selectors
    except ImportError:  # the reports app is not installed in this deployment
        return None
    return report_selectors


def _topic_report_for(*, event_id: int, bureau_id: int, event_version: int) -> Any:
    """The reports app's ready special-topic report of this quake for this bureau, if any."""
    finder = getattr(_reports_selectors(), "topic_report_find", None)
    if finder is None:
        return None
    try:
        report = finder(bureau_id=bureau_id, event_id=event_id, event_version=event_version)
    except Exception:  # another app's lookup failing must not stop the meeting opening
        logger.exception("topic report lookup failed for event %s", event_id)
        return None
    return report if report is not None and getattr(report, "status", "ready") == "ready" else None


def _attach_topic_report(meeting: Meeting, report: Any) -> MeetingMaterial:
    event = getattr(report, "event", None)
    title = _("Special-topic report: %(event)s") % {"event": event} if event else _("Special-topic report")
    url = ""
    try:
        url = report.get_absolute_url()
    except (AttributeError, NoReverseMatch):
        url = ""
    return material_attach(
        actor=None,
        meeting=meeting,
        kind=MeetingMaterial.Kind.REPORT,
        object_id=str(report.pk),
        title=title,
        url=url,
    )


@transaction.atomic
def topic_report_attach(*, report_id: int, event_id: int, bureau_id: int) -> MeetingMaterial | None:
    """A special-topic report built after the meeting opened: put it before the meeting."""
    meeting = Meeting.objects.filter(bureau_id=bureau_id, trigger_event_id=event_id).first()
    if meeting is None:
        return None
    getter = getattr(_reports_selectors(), "topic_report_get_for_worker", None)
    report = getter(report_id=report_id) if getter else None
    if report is not None:
        return _attach_topic_report(meeting, report)
    return material_attach(
        actor=None,
        meeting=meeting,
        kind=MeetingMaterial.Kind.REPORT,
        object_id=str(report_id),
        title=_("Special-topic report"),
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


def polygon_from_bbox(lon0: float, lat0: float, lon1: float, lat1: float) -> MultiPolygon:
    """A rectangle as a region (demo data and tests)."""
    return MultiPolygon(Polygon.from_bbox((lon0, lat0, lon1, lat1)), srid=4326)
