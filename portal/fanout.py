"""One channel-layer member per process and group, fanned out in-process to local sockets.

Channels' usual way gives every socket its own channel and adds that channel to the socket's
groups. A group message then costs, in each server process and for EACH socket: a queue entry
handed over by channels_redis (two futures and an ``asyncio.wait`` per receive), a wake-up of
the consumer's task, a database-connection check in a worker thread
(``AsyncConsumer.dispatch`` calls ``aclose_old_connections`` before every handler) and a JSON
encoding — 0.7–0.9 ms of daphne's CPU per socket and message, measured with py-spy in
``bench/scale/fanout.py``: 2,500 sockets of a process took two seconds of a core per event.

A ``Fanout`` instead makes each process join each group once — one channel per group and
process, made when the first local socket wants the group, discarded when the last one
leaves — renders each message once (``render``: the text, or None when it is not for these
sockets) and writes that same text to every local socket whose groups include the message's
group, in the order the messages came. The senders do not change (``group_send`` to the same
groups), and the sockets of other consumers keep their own channels (group semantics).

This is the pattern of encode/broadcaster; it is written here on the channel layer rather than
with that library (not a dependency) so that the senders, the Redis and the groups stay the
ones every other consumer uses.

Sockets with the same set of groups are an audience: who may read what is decided once per
audience and message (the groups a socket joined are what it may read, chosen by its consumer
at connect), not per socket. A message that comes on two groups of one audience (a bureau's
published event: its bureau's stream and the public one) is written once: each audience keeps
the keys ``render`` gave for its last ``seen`` messages, with how far its sockets had joined,
so a socket that joined between the two copies still gets one.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from channels.layers import BaseChannelLayer, get_channel_layer

logger = logging.getLogger(__name__)

#: ``render(message)``: ``(dedupe key or None, text)`` to write, or None to write nothing.
Render = Callable[[dict[str, Any]], tuple[Hashable | None, str] | None]

#: sockets written between two yields to the event loop (so their frames go out, and other
#: sockets of the process are served, while a large audience is still being written)
DEFAULT_BATCH = 250

#: how often the process renews its group memberships (channels_redis drops a member after
#: ``group_expiry``, one day by default; a consumer of channels' own kind has the same limit)
REFRESH_FRACTION = 0.25

#: after an error of the channel layer (Redis away), wait this long, join again and go on
RETRY_SECONDS = 1.0


class Socket(Protocol):
    """What a ``Fanout`` needs of a consumer (an ``AsyncWebsocketConsumer`` has both)."""

    async def accept(self, subprotocol: str | None = None, headers: Any = None) -> None: ...

    async def send(
        self, text_data: str | None = None, bytes_data: bytes | None = None, close: bool = False
    ) -> None: ...


@dataclass(eq=False)
class _Audience:
    """The local sockets that joined the same groups."""

    groups: frozenset[str]
    #: socket -> its join number (sockets in the order they joined)
    sockets: dict[Socket, int] = field(default_factory=dict)
    #: dedupe key -> the join number up to which this audience's sockets have that message
    seen: OrderedDict[Hashable, int] = field(default_factory=OrderedDict)
    last_join: int = 0


class _Hub:
    """A ``Fanout``'s state in one event loop (one per daphne process)."""

    def __init__(self, fanout: Fanout, layer: BaseChannelLayer) -> None:
        self.fanout = fanout
        self.layer = layer
        self.lock = asyncio.Lock()
        self.audiences: dict[frozenset[str], _Audience] = {}
        self.where: dict[Socket, _Audience] = {}
        self.channels: dict[str, str] = {}  # group -> this process's channel in it
        self.readers: dict[str, asyncio.Task[None]] = {}
        self.queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
        # messages heard and not yet written, at most: the layer's own per-channel capacity
        # (channels_redis drops a message to a channel that holds this many)
        self.capacity = int(getattr(layer, "capacity", 100))
        self.tasks: list[asyncio.Task[None]] = []
        self.joins = 0

    # --- membership ----------------------------------------------------------------------

    async def join(self, socket: Socket, groups: frozenset[str]) -> None:
        async with self.lock:  # a leave cannot discard a group between our join and accept
            for group in sorted(groups - self.channels.keys()):
                channel = await self.layer.new_channel()
                await self.layer.group_add(group, channel)
                self.channels[group] = channel
                self.readers[group] = asyncio.create_task(self._read(group, channel))
            if not self.tasks:
                self.tasks = [asyncio.create_task(self._dispatch()), asyncio.create_task(self._refresh())]
            await socket.accept()
            self.joins += 1
            audience = self.audiences.get(groups)
            if audience is None:
                audience = self.audiences[groups] = _Audience(groups)
            audience.sockets[socket] = self.joins
            audience.last_join = self.joins
            self.where[socket] = audience

    async def leave(self, socket: Socket) -> None:
        """Forget ``socket``; leave the groups no local socket wants; stop when none is left."""
        async with self.lock:
            audience = self.where.pop(socket, None)
            if audience is not None:
                audience.sockets.pop(socket, None)
                if not audience.sockets:
                    del self.audiences[audience.groups]
            wanted = {g for a in self.audiences.values() for g in a.groups}
            for group in sorted(self.channels.keys() - wanted):
                channel = self.channels.pop(group)
                await _cancel(self.readers.pop(group))
                try:
                    await self.layer.group_discard(group, channel)
                except Exception:  # Redis away: the membership expires by itself
                    logger.exception("fan-out %s: could not leave %s", self.fanout.name, group)
            if self.audiences or not self.tasks:
                return
            for task in self.tasks:
                await _cancel(task)
            self.tasks = []
            self.queue = asyncio.Queue()  # what the readers had left was for nobody

    # --- the process's readers, one per group, and the one writer -------------------------

    async def _read(self, group: str, channel: str) -> None:
        while True:
            try:
                message = await self.layer.receive(channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("fan-out %s: receiving on %s failed; joining again", self.fanout.name, group)
                await asyncio.sleep(RETRY_SECONDS)
                try:  # Redis may have come back empty
                    await self.layer.group_add(group, channel)
                except Exception:  # still away: the next receive fails and we come back here
                    logger.warning("fan-out %s: %s not joined yet", self.fanout.name, group, exc_info=True)
                continue
            if self.queue.qsize() >= self.capacity:  # writing lags far behind: as the layer does
                logger.warning(
                    "fan-out %s: %s messages waiting, one of %s dropped",
                    self.fanout.name,
                    self.capacity,
                    group,
                )
                continue
            self.queue.put_nowait((group, message))

    async def _dispatch(self) -> None:
        while True:
            group, message = await self.queue.get()
            try:
                await self.deliver(group, message)
            except Exception:
                logger.exception("fan-out %s: delivering a message of %s failed", self.fanout.name, group)

    async def _refresh(self) -> None:
        expiry = float(getattr(self.layer, "group_expiry", 86400))
        while True:
            await asyncio.sleep(max(60.0, expiry * REFRESH_FRACTION))
            for group, channel in list(self.channels.items()):
                try:
                    await self.layer.group_add(group, channel)
                except Exception:
                    logger.exception("fan-out %s: could not renew %s", self.fanout.name, group)

    async def deliver(self, group: str, message: dict[str, Any]) -> int:
        """Write ``message`` (sent to ``group``) to the local sockets that should have it;
        returns how many were written."""
        rendered = self.fanout.render(message)
        if rendered is None:
            return 0
        key, text = rendered
        targets: list[Socket] = []
        for audience in list(self.audiences.values()):
            if group not in audience.groups:
                continue
            had = audience.seen.get(key) if key is not None else None
            if had is None:
                targets.extend(audience.sockets)
            elif audience.last_join > had:  # only those that joined after the first copy
                targets.extend(s for s, n in audience.sockets.items() if n > had)
            else:
                continue
            if key is not None:
                audience.seen[key] = audience.last_join
                while len(audience.seen) > self.fanout.seen:
                    audience.seen.popitem(last=False)
        batch = self.fanout.batch
        for i, socket in enumerate(targets):
            if i and i % batch == 0:
                await asyncio.sleep(0)
            try:
                await socket.send(text_data=text)
            except Exception:  # one broken socket does not stop the others
                logger.exception("fan-out %s: a write failed", self.fanout.name)
        return len(targets)


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    except Exception:
        logger.exception("fan-out task ended with an error")


class Fanout:
    """The sockets of one kind (one consumer class) that this process holds, by audience.

    In the consumer: ``await FANOUT.join(self, groups)`` in ``connect`` (it accepts the socket
    once the process hears the groups) and ``await FANOUT.leave(self)`` in ``disconnect``; give
    the consumer no channel layer of its own (``channel_layer_alias`` naming no layer), since
    nothing is sent to it directly.
    """

    def __init__(
        self,
        name: str,
        render: Render,
        *,
        layer_alias: str = "default",
        seen: int = 200,
        batch: int = DEFAULT_BATCH,
    ) -> None:
        self.name = name
        self.render = render
        self.layer_alias = layer_alias
        self.seen = seen
        self.batch = batch
        # one hub per event loop: daphne has one; tests make one per test
        self._hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Hub] = weakref.WeakKeyDictionary()

    def _hub(self) -> _Hub | None:
        return self._hubs.get(asyncio.get_running_loop())

    async def join(self, socket: Socket, groups: Iterable[str]) -> None:
        loop = asyncio.get_running_loop()
        hub = self._hubs.get(loop)
        if hub is None:
            layer = get_channel_layer(self.layer_alias)
            if layer is None:
                raise RuntimeError(f"fan-out {self.name}: no channel layer {self.layer_alias!r}")
            hub = self._hubs[loop] = _Hub(self, layer)
        await hub.join(socket, frozenset(groups))

    async def leave(self, socket: Socket) -> None:
        hub = self._hub()
        if hub is not None:  # (kept when empty: a join may be waiting for its lock)
            await hub.leave(socket)

    def local_sockets(self) -> int:
        """Sockets this process holds (in the running loop)."""
        hub = self._hub()
        return len(hub.where) if hub is not None else 0

    def local_groups(self) -> dict[str, str]:
        """group -> this process's channel in it (in the running loop)."""
        hub = self._hub()
        return dict(hub.channels) if hub is not None else {}
