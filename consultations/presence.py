"""Who came and went in the live rooms, told to the room once per window (issue 18).

Announcing every arrival to everyone present costs n frames per arrival: about n²/2 =
20,000 frames when 200 people join a meeting within seconds, each one a channel-layer
message and a websocket frame. Instead each server process gathers the arrivals and
departures of a room for :data:`WINDOW` seconds and sends one message to the room::

    {"kind": "presence", "joined": [{"id": 7, "name": "..."}, ...], "left": [9, ...]}

A newcomer gets the whole roster in its welcome (``consultations.consumers``); the
messages only carry the changes, and applying one twice changes nothing (a set of
people), so a change that reaches a client both through its roster and through a
message is harmless.

Presence itself (the ``RoomPresence`` rows) is written by the consumer's database call
before anything is announced here; this module only decides when the others hear of it.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass, field
from typing import Any

from channels.layers import get_channel_layer

#: Seconds a room's changes are gathered before one message carries them all. Each message
#: is one frame to everyone present, so while people keep arriving a room of n costs
#: n / WINDOW frames a second: at 0.1 s the frames of the 200-person join took a third of
#: the server's event loop; at 0.25 s (still too short to notice who came) about half as much
#: (bench/RESULTS.md, issue 18).
WINDOW = 0.25

logger = logging.getLogger(__name__)


@dataclass
class _Pending:
    """A room's changes not yet sent: person id -> name (arrived) or None (left); the last
    change of a person wins, so one who came and went within a window is told as gone."""

    changes: dict[int, str | None] = field(default_factory=dict)
    flush: asyncio.TimerHandle | None = None


def presence_message(changes: dict[int, str | None]) -> dict[str, Any]:
    return {
        "kind": "presence",
        "joined": [{"id": pk, "name": name} for pk, name in changes.items() if name is not None],
        "left": [pk for pk, name in changes.items() if name is None],
    }


class PresenceBatcher:
    """The changes of every room of this process, per event loop (a daphne process has one;
    each test has its own)."""

    def __init__(self) -> None:
        self.rooms: dict[str, _Pending] = {}
        self.sending: set[asyncio.Task[None]] = set()

    def arrived(self, group: str, user_id: int, name: str) -> None:
        self._change(group, user_id, name)

    def left(self, group: str, user_id: int) -> None:
        self._change(group, user_id, None)

    def _change(self, group: str, user_id: int, name: str | None, *, newer_first: bool = False) -> None:
        """Note a change. ``newer_first``: it is older than any change already noted for the
        person (a change sent back after a failed send)."""
        pending = self.rooms.setdefault(group, _Pending())
        if newer_first:
            pending.changes.setdefault(user_id, name)
        else:
            pending.changes[user_id] = name
        if pending.flush is None:
            pending.flush = asyncio.get_running_loop().call_later(WINDOW, self._flush, group)

    def _flush(self, group: str) -> None:
        pending = self.rooms.pop(group, None)
        if pending is None or not pending.changes:
            return
        # keep a reference: the loop holds tasks only weakly
        task = asyncio.get_running_loop().create_task(self._send(group, pending.changes))
        self.sending.add(task)
        task.add_done_callback(self.sending.discard)

    async def _send(self, group: str, changes: dict[int, str | None]) -> None:
        message = {"type": "portal.event", "event": presence_message(changes)}
        try:
            await get_channel_layer().group_send(group, message)
        except Exception:
            # e.g. the channel layer's Redis connections all busy: try again with the next
            # window rather than leave the room believing who it believed
            logger.warning("presence of %s not sent, trying again", group, exc_info=True)
            for user_id, name in changes.items():
                self._change(group, user_id, name, newer_first=True)


_batchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, PresenceBatcher] = weakref.WeakKeyDictionary()


def presence_batcher() -> PresenceBatcher:
    """This event loop's batcher."""
    loop = asyncio.get_running_loop()
    batcher = _batchers.get(loop)
    if batcher is None:
        batcher = _batchers[loop] = PresenceBatcher()
    return batcher
