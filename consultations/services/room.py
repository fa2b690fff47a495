"""The live room of a meeting: its event log, joining and leaving.

Every change to a meeting's room writes a :class:`RoomEvent` with the next per-meeting
sequence number and pushes it to the room's group on commit; a client that reconnects
asks for the events after the last number it saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import F
from django.utils.translation import gettext as _

from consultations.models import Meeting, RoomEvent, RoomPresence
from portal.exceptions import PermissionDenied
from portal.links import safe_link
from portal.services import broadcast_on_commit

if TYPE_CHECKING:
    from portal.models import User


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
    return room_group_of(bureau_id=meeting.bureau_id, meeting_id=meeting.pk)


def room_group_of(*, bureau_id: int, meeting_id: int) -> str:
    return f"bureau.{bureau_id}.meeting.{meeting_id}"


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


@dataclass
class RoomEntry:
    """What a socket that joined a room is told first: the meeting, who is present (itself
    included, by username), whether it is the person's first socket there (then the others
    are told), and the room events after the ``since`` it asked for (up to ``limit``)."""

    meeting: Meeting
    present: list[dict[str, Any]]
    first: bool
    missed: list[dict[str, Any]]


def room_enter(
    *, user: User, meeting_id: int, channel_name: str, since: int | None, limit: int
) -> RoomEntry | None:
    """Join a socket to a meeting's room: the whole of a join's database work, for the
    consumer's one sync call (issue 18). None when ``user`` may not join.

    Queries: the meeting with the right to join it (one), who is present (one), the
    presence row (one insert), and the events after ``since`` (one, and only when the
    meeting has any: its ``last_seq`` came with it). The caller has already added the
    socket to the room's group, so nothing said in the room after these reads is missed.

    Presence is live only (not in the room log). The others hear of a person when their
    first socket opens, gathered with the other arrivals of the moment into one message
    (``consultations.presence``), sent by the caller from its event loop.
    """
    from consultations.selectors import meeting_for_room, room_events_after, room_present

    meeting = meeting_for_room(user=user, meeting_id=meeting_id)
    if meeting is None:
        return None
    people = room_present(meeting=meeting)
    first = all(person.pk != user.pk for person in people)
    # a channel name is new with each socket: a plain insert, no lookup first
    RoomPresence.objects.create(meeting=meeting, user=user, channel_name=channel_name)
    if first:
        people.append(user)
        people.sort(key=lambda person: person.username)
    missed = []
    if since is not None and since < meeting.last_seq:
        missed = [room_event_message(e) for e in room_events_after(meeting=meeting, since=since, limit=limit)]
    return RoomEntry(
        meeting=meeting,
        present=[{"id": person.pk, "name": person.label} for person in people],
        first=first,
        missed=missed,
    )


def room_leave(*, meeting: Meeting, channel_name: str) -> int | None:
    """Forget a closed socket; the person's id when it was their last one in the room (the
    others are then told, by the caller: ``consultations.presence``), else None."""
    row = RoomPresence.objects.filter(channel_name=channel_name).first()
    if row is None:
        return None
    row.delete()
    if RoomPresence.objects.filter(meeting=meeting, user_id=row.user_id).exists():
        return None
    return row.user_id
