"""The live room of a meeting: its event log, joining and leaving.

Every change to a meeting's room writes a :class:`RoomEvent` with the next per-meeting
sequence number and pushes it to the room's group on commit; a client that reconnects
asks for the events after the last number it saw.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from consultations.models import Meeting, RoomEvent, RoomPresence
from portal.exceptions import PermissionDenied
from portal.links import safe_link
from portal.services import broadcast, broadcast_on_commit

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
    return f"bureau.{meeting.bureau_id}.meeting.{meeting.pk}"


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


def room_join(*, user: User, meeting: Meeting, channel_name: str) -> tuple[list[dict[str, Any]], bool]:
    """Record an open socket; who is present (for the newcomer's welcome) and whether this
    is the person's first socket in the room.

    Presence is live only (not in the room log). The others hear of a person once, when
    their first socket opens: a small ``join`` message (:func:`room_join_message`), not the
    whole list, so a room of n people costs n messages per arrival rather than n lists of
    n names. The caller (the consumer) sends it from its event loop: sending it here held
    the one thread that runs every database call of the process for a Redis round trip
    per arrival (issue 18: the 200-person join).
    """
    with transaction.atomic():
        first = not RoomPresence.objects.filter(meeting=meeting, user=user).exists()
        RoomPresence.objects.update_or_create(
            channel_name=channel_name, defaults={"meeting": meeting, "user": user}
        )
    from consultations.selectors import room_present

    return room_present(meeting=meeting), first


def room_join_message(user: User) -> dict[str, Any]:
    """What the others in the room hear when ``user``'s first socket opens."""
    return {"kind": "presence", "op": "join", "user": {"id": user.pk, "name": user.label}}


def room_leave(*, meeting: Meeting, channel_name: str) -> None:
    """Forget a closed socket; the others hear when the person's last socket closed."""
    row = RoomPresence.objects.filter(channel_name=channel_name).first()
    if row is None:
        return
    row.delete()
    if not RoomPresence.objects.filter(meeting=meeting, user_id=row.user_id).exists():
        broadcast(room_group(meeting), {"kind": "presence", "op": "leave", "user": {"id": row.user_id}})
