"""The live meeting room over websockets.

On connect the person must be a participant or hold a role in one of the meeting's
bureaus (else close 4403). Room events carry a per-meeting sequence number; a client
sends ``{"type": "hello", "since": N}`` and receives every event after N from the
log, then ``{"kind": "caught_up", "last_seq": M}``. Live events may also arrive while
catching up: clients drop any seq they have already applied.
"""

from __future__ import annotations

import json
from typing import Any

from channels.db import database_sync_to_async

from portal.consumers import PortalConsumer

from . import selectors, services

FORBIDDEN = 4403
CATCH_UP_BATCH = 500


class MeetingRoomConsumer(PortalConsumer):
    meeting: Any = None

    async def groups_for(self, user: Any) -> list[str] | None:
        meeting_id = int(self.scope["url_route"]["kwargs"]["meeting_id"])
        self.meeting = await database_sync_to_async(selectors.meeting_for_room)(
            user=user, meeting_id=meeting_id
        )
        if self.meeting is None:
            return None
        return [services.room_group(self.meeting)]

    async def on_open(self, user: Any) -> None:
        present = await database_sync_to_async(services.room_join)(
            user=user, meeting=self.meeting, channel_name=self.channel_name
        )
        await self.send_json({"kind": "welcome", "meeting": self.meeting.pk, "present": present})

    async def disconnect(self, code: int) -> None:
        if self.meeting is not None:
            await database_sync_to_async(services.room_leave)(
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

    @classmethod
    async def decode_json(cls, text_data: str) -> Any:
        # a malformed frame is ignored rather than ending the connection with an error
        try:
            return json.loads(text_data)
        except ValueError:
            return None

    def _missed(self, since: int) -> list[dict[str, Any]]:
        return [
            services.room_event_message(e)
            for e in selectors.room_events_after(meeting=self.meeting, since=since, limit=CATCH_UP_BATCH)
        ]
