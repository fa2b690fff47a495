"""The live meeting room over websockets.

On connect the person must be a participant or hold a role in one of the meeting's
bureaus (else close 4403): joining is reading. Acting in the room, a show of hands
(``{"type": "vote", "choice": ..., "remark": ...}``) or a comment (``{"type":
"comment", "text": ...}``), goes through the same services as the HTTP API, so the
same rule (``permissions.can_take_part``: a working role, never a viewer) decides;
a refusal is answered with ``{"kind": "error", "status": 403, "detail": ...}`` and
nothing is stored. A success is acknowledged with ``{"kind": "ack", "type": ...}``;
everyone, the sender included, sees the change as a room event. Room events carry a per-meeting sequence number; a client
sends ``{"type": "hello", "since": N}`` and receives every event after N from the
log, then ``{"kind": "caught_up", "last_seq": M}``. Live events may also arrive while
catching up: clients drop any seq they have already applied.
"""

from __future__ import annotations

import json
from typing import Any

from channels.db import database_sync_to_async

from portal.consumers import PortalConsumer
from portal.exceptions import PermissionDenied, PortalError
from portal.tenancy import actor_for

from . import selectors
from .services import conclusion as conclusion_services
from .services import room as room_services

FORBIDDEN = 4403
CATCH_UP_BATCH = 500
ROOM_ACTIONS = ("vote", "comment")


class MeetingRoomConsumer(PortalConsumer):
    meeting: Any = None

    async def groups_for(self, user: Any) -> list[str] | None:
        meeting_id = int(self.scope["url_route"]["kwargs"]["meeting_id"])
        self.meeting = await database_sync_to_async(selectors.meeting_for_room)(
            user=user, meeting_id=meeting_id
        )
        if self.meeting is None:
            return None
        return [room_services.room_group(self.meeting)]

    async def on_open(self, user: Any) -> None:
        present, first = await database_sync_to_async(room_services.room_join)(
            user=user, meeting=self.meeting, channel_name=self.channel_name
        )
        await self.send_json({"kind": "welcome", "meeting": self.meeting.pk, "present": present})
        if first:
            await self.channel_layer.group_send(
                room_services.room_group(self.meeting),
                {"type": "portal.event", "event": room_services.room_join_message(user)},
            )

    async def disconnect(self, code: int) -> None:
        if self.meeting is not None:
            await database_sync_to_async(room_services.room_leave)(
                meeting=self.meeting, channel_name=self.channel_name
            )
        await super().disconnect(code)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict) or self.meeting is None:
            return
        if content.get("type") == "hello":
            try:
                since = max(0, int(content.get("since") or 0))
            except (TypeError, ValueError):
                await self.send_json({"kind": "error", "detail": "since must be a number"})
                return
            # in batches, so a client back after a long absence gets everything it missed
            last = since
            while True:
                events = await database_sync_to_async(self._missed)(last)
                for event in events:
                    await self.send_json(event)
                if len(events) < CATCH_UP_BATCH:
                    break
                last = events[-1]["seq"]
            if events:
                last = events[-1]["seq"]
            await self.send_json({"kind": "caught_up", "last_seq": last})
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
