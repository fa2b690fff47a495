"""The live meeting room over websockets.

On connect the person must be a participant or hold a role in one of the meeting's
bureaus (else close 4403): joining is reading. Acting in the room, a show of hands
(``{"type": "vote", "choice": ..., "remark": ...}``) or a comment (``{"type":
"comment", "text": ...}``), goes through the same services as the HTTP API, so the
same rule (``permissions.can_take_part``: a working role, never a viewer) decides;
a refusal is answered with ``{"kind": "error", "status": 403, "detail": ...}`` and
nothing is stored. A success is acknowledged with ``{"kind": "ack", "type": ...}``;
everyone, the sender included, sees the change as a room event. Room events carry a
per-meeting sequence number; a client opens the socket with ``?since=N`` in its URL (or
sends ``{"type": "hello", "since": N}`` at any time) and receives every event after N
from the log, then ``{"kind": "caught_up", "last_seq": M}``. Live events may also arrive
while catching up: clients drop any seq they have already applied.

The first frame is ``{"kind": "welcome", "meeting": id, "present": [{"id", "name"}, ...]}``,
everyone present; then ``{"kind": "presence", "joined": [{"id", "name"}, ...], "left":
[id, ...]}`` tells who came and went, gathered per room for a quarter of a
second (``consultations.presence``).
"""

from __future__ import annotations

import asyncio
import json
import weakref
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import close_old_connections

from portal.consumers import UNAUTHENTICATED, PortalConsumer
from portal.exceptions import PermissionDenied, PortalError
from portal.tenancy import actor_for
from portal.ws_auth import resolved_user

from . import selectors
from .presence import presence_batcher
from .services import conclusion as conclusion_services
from .services import room as room_services

if TYPE_CHECKING:
    from collections.abc import Callable

_T = TypeVar("_T")

FORBIDDEN = 4403
CATCH_UP_BATCH = 500
ROOM_ACTIONS = ("vote", "comment")


#: The joins' database calls run on threads of their own (issue 18). Channels runs every
#: ``database_sync_to_async`` call of a process on one thread, so 200 people joining at once
#: queued there one after another, each join's queries waiting on PostgreSQL in turn; here a
#: few joins' queries are in flight together.
_JOIN_THREADS = ThreadPoolExecutor(max_workers=settings.ROOM_JOIN_THREADS, thread_name_prefix="room-join")


def _closing(work: Callable[..., _T], *args: Any) -> _T:
    """Run ``work`` on a join thread and hand its connection back to the pool after.

    This is what ``database_sync_to_async`` does around a call, done here with Django's
    ``close_old_connections`` itself: Channels' test communicator replaces the one
    ``database_sync_to_async`` calls (``channels.db.close_old_connections``) with a no-op
    while a test talks to a consumer, which is harmless on the one thread that call
    normally runs on, but left every other thread holding its pooled connection for good:
    with ``thread_sensitive=False`` on the event loop's own executor (new threads for each
    test's loop) the pool ran dry after a few tests and joins waited for a connection
    until the tests timed out. A join thread is never a test's own thread, so closing
    there never touches a test's transaction.
    """
    close_old_connections()
    try:
        return work(*args)
    finally:
        close_old_connections()


#: Joins of a process between their first step and their database call's end, at most
#: (per event loop). 200 people at once each took a channel-layer connection for the group
#: and the pool of those (redis-py's, 100 by default) ran out: "Too many connections" ended
#: joins with a 500 and lost presence messages. The rest wait their turn here, as they would
#: for the join threads anyway.
JOINS_AT_ONCE = 16
_join_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def _join_gate() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    gate = _join_gates.get(loop)
    if gate is None:
        gate = _join_gates[loop] = asyncio.Semaphore(JOINS_AT_ONCE)
    return gate


#: meeting id -> its room's group name. A meeting never changes bureau, so a process looks
#: each up once; the join then adds the socket to the group before its one database call.
_room_groups: dict[int, str] = {}
_ROOM_GROUPS_KEPT = 10_000


async def _room_group(meeting_id: int) -> str | None:
    group = _room_groups.get(meeting_id)
    if group is None:
        bureau_id = await database_sync_to_async(selectors.meeting_bureau_id)(meeting_id=meeting_id)
        if bureau_id is None:
            return None
        if len(_room_groups) >= _ROOM_GROUPS_KEPT:
            _room_groups.clear()
        group = _room_groups[meeting_id] = room_services.room_group_of(
            bureau_id=bureau_id, meeting_id=meeting_id
        )
    return group


def _since(scope: dict[str, Any]) -> int | None:
    """``?since=N`` of the socket's URL: the last room event the client has (a number >= 0)."""
    values = parse_qs(scope.get("query_string", b"").decode("ascii", "replace")).get("since")
    try:
        return max(0, int(values[0])) if values else None
    except ValueError:
        return None


class MeetingRoomConsumer(PortalConsumer):
    meeting: Any = None
    admitted = False

    async def connect(self) -> None:
        """Join in one database call (issue 18): the person, the meeting, the right to join,
        the presence row, who is present, and, with ``?since=N`` in the URL, the events
        after N. The socket joins the room's group first, so whatever is said in the room
        while that call runs is not lost: Channels hands a consumer its messages one at a
        time, so they wait until this method has sent the welcome and the catch-up."""
        meeting_id = int(self.scope["url_route"]["kwargs"]["meeting_id"])
        since = _since(self.scope)
        self.groups_joined = []
        async with _join_gate():
            group = await _room_group(meeting_id)
            if group is not None:
                await self.channel_layer.group_add(group, self.channel_name)
                self.groups_joined.append(group)
            entry = await sync_to_async(_closing, thread_sensitive=False, executor=_JOIN_THREADS)(
                self._enter, meeting_id, since
            )
            if isinstance(entry, int):
                for joined in self.groups_joined:
                    await self.channel_layer.group_discard(joined, self.channel_name)
                self.groups_joined = []
        if isinstance(entry, int):
            await self.close(code=entry)
            return
        self.meeting = entry.meeting
        user = self.scope["user"]
        if group is None:  # the meeting was created since the look-up
            group = room_services.room_group(self.meeting)
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)
        await self.accept()
        await self.send_json({"kind": "welcome", "meeting": self.meeting.pk, "present": entry.present})
        if entry.first:
            presence_batcher().arrived(group, user.pk, user.label)
        if since is not None:
            await self._send_catch_up(since, entry.missed)
        self.admitted = True

    def _enter(self, meeting_id: int, since: int | None) -> room_services.RoomEntry | int:
        """The join's database work (sync): the entry, or the code to close with."""
        user = resolved_user(self.scope)
        if user is None or not user.is_authenticated or not user.is_active:
            return UNAUTHENTICATED
        entry = room_services.room_enter(
            user=user,
            meeting_id=meeting_id,
            channel_name=self.channel_name,
            since=since,
            limit=CATCH_UP_BATCH,
        )
        return FORBIDDEN if entry is None else entry

    async def portal_event(self, message: dict[str, Any]) -> None:
        if self.admitted:  # a refused socket may still have messages of the room queued
            await super().portal_event(message)

    async def disconnect(self, code: int) -> None:
        if self.meeting is not None:
            gone = await database_sync_to_async(room_services.room_leave)(
                meeting=self.meeting, channel_name=self.channel_name
            )
            if gone is not None:
                presence_batcher().left(room_services.room_group(self.meeting), gone)
        await super().disconnect(code)

    async def _send_catch_up(self, since: int, events: list[dict[str, Any]] | None = None) -> None:
        """Every room event after ``since``, in batches (a client back after a long absence
        gets everything it missed), then ``caught_up``. ``events``: the first batch, when
        the caller has read it already."""
        last = since
        while True:
            if events is None:
                events = await database_sync_to_async(self._missed)(last)
            for event in events:
                await self.send_json(event)
            if events:
                last = events[-1]["seq"]
            if len(events) < CATCH_UP_BATCH:
                break
            events = None
        await self.send_json({"kind": "caught_up", "last_seq": last})

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict) or self.meeting is None:
            return
        if content.get("type") == "hello":
            try:
                since = max(0, int(content.get("since") or 0))
            except (TypeError, ValueError):
                await self.send_json({"kind": "error", "detail": "since must be a number"})
                return
            await self._send_catch_up(since)
        elif content.get("type") == "ping":
            await self.send_json({"kind": "pong"})
        elif content.get("type") in ROOM_ACTIONS:
            await self.send_json(await database_sync_to_async(self._act)(content))

    def _act(self, content: dict[str, Any]) -> dict[str, Any]:
        """Run one room action as the connected person; the reply frame either way."""
        kind = content["type"]
        user = self.scope["user"]
        # The meeting's bureau when the person holds a role there, else their own:
        # can_take_part does not depend on it, the services' audit trail does.
        actor = actor_for(user, self.meeting.bureau.code) or actor_for(user)
        try:
            if actor is None:
                raise PermissionDenied
            if kind == "vote":
                conclusion_services.vote_cast(
                    actor=actor,
                    meeting=self.meeting,
                    choice=str(content.get("choice") or ""),
                    remark=str(content.get("remark") or ""),
                )
            else:
                conclusion_services.comment_add(
                    actor=actor, meeting=self.meeting, text=str(content.get("text") or "")
                )
        except PortalError as exc:
            frame: dict[str, Any] = {"kind": "error", "type": kind, "status": exc.status_code}
            frame["detail"] = exc.message
            if exc.field:
                frame["field"] = exc.field
            return frame
        return {"kind": "ack", "type": kind}

    @classmethod
    async def decode_json(cls, text_data: str) -> Any:
        # a malformed frame is ignored rather than ending the connection with an error
        try:
            return json.loads(text_data)
        except ValueError:
            return None

    def _missed(self, since: int) -> list[dict[str, Any]]:
        return [
            room_services.room_event_message(e)
            for e in selectors.room_events_after(meeting=self.meeting, since=since, limit=CATCH_UP_BATCH)
        ]
