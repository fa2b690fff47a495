"""portal.fanout: one channel-layer member per process and group, written to local sockets.

On channels' in-memory layer with stand-in sockets; the event stream over Redis and daphne's
ASGI is in tests/catalog/test_websocket.py.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.layers import InMemoryChannelLayer, channel_layers

from portal.fanout import Fanout

ALIAS = "test-fanout"


class Sock:
    """A stand-in for a consumer: what it accepted and what was written to it."""

    def __init__(self, name: str, *, broken: bool = False) -> None:
        self.name = name
        self.broken = broken
        self.accepted = False
        self.texts: list[str] = []

    async def accept(self, subprotocol: str | None = None, headers: Any = None) -> None:
        self.accepted = True

    async def send(
        self, text_data: str | None = None, bytes_data: bytes | None = None, close: bool = False
    ) -> None:
        if self.broken:
            raise ConnectionResetError("gone")
        assert text_data is not None
        self.texts.append(text_data)

    def __repr__(self) -> str:
        return self.name


def render(message: dict[str, Any]) -> tuple[Any, str] | None:
    if message.get("type") != "note":
        return None
    return message.get("key"), message["text"]


@pytest.fixture
def layer():
    layer = InMemoryChannelLayer()
    channel_layers.set(ALIAS, layer)
    yield layer
    channel_layers.backends.pop(ALIAS, None)


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0.01)


async def note(layer, group: str, text: str, key: Any = None) -> None:
    await layer.group_send(group, {"type": "note", "text": text, "key": key})
    await settle()


async def test_the_process_joins_each_group_once_and_leaves_with_its_last_socket(layer):
    fanout = Fanout("t", render, layer_alias=ALIAS)
    socks = [Sock(f"s{i}") for i in range(5)]
    for sock in socks:
        await fanout.join(sock, ["public"])
    assert all(s.accepted for s in socks)
    assert fanout.local_sockets() == 5
    assert list(layer.groups["public"]) == [fanout.local_groups()["public"]]  # one member

    await note(layer, "public", "hello")
    assert [s.texts for s in socks] == [["hello"]] * 5

    for sock in socks[:4]:
        await fanout.leave(sock)
    assert "public" in fanout.local_groups()
    await fanout.leave(socks[4])
    assert fanout.local_groups() == {}
    assert fanout.local_sockets() == 0
    assert not layer.groups.get("public")
    await note(layer, "public", "to nobody")
    assert socks[4].texts == ["hello"]

    # the process joins again for a new socket
    again = Sock("again")
    await fanout.join(again, ["public"])
    await note(layer, "public", "back")
    assert again.texts == ["back"]
    await fanout.leave(again)


async def test_a_socket_gets_only_its_groups_and_one_copy_of_a_message_sent_to_two(layer):
    fanout = Fanout("t", render, layer_alias=ALIAS)
    anonymous = Sock("anonymous")
    member = Sock("member")
    stranger = Sock("stranger")
    await fanout.join(anonymous, ["public"])
    await fanout.join(member, ["public", "bureau.1"])
    await fanout.join(stranger, ["public", "bureau.2"])

    await note(layer, "bureau.1", "own draft", key="e1")
    assert (anonymous.texts, member.texts, stranger.texts) == ([], ["own draft"], [])

    # a published event of bureau 1 comes on its stream and on the public one
    await note(layer, "bureau.1", "published", key="e2")
    await note(layer, "public", "published", key="e2")
    assert anonymous.texts == ["published"]
    assert member.texts == ["own draft", "published"]
    assert stranger.texts == ["published"]

    # messages without a key are never taken for copies; what render refuses is not written
    await note(layer, "public", "plain")
    await note(layer, "public", "plain")
    await layer.group_send("public", {"type": "other", "text": "x"})
    await settle()
    assert anonymous.texts == ["published", "plain", "plain"]
    for sock in (anonymous, member, stranger):
        await fanout.leave(sock)


async def test_a_socket_that_joined_between_the_two_copies_gets_one(layer):
    fanout = Fanout("t", render, layer_alias=ALIAS)
    early = Sock("early")
    await fanout.join(early, ["public", "bureau.1"])
    await note(layer, "bureau.1", "published", key="e")
    late = Sock("late")
    await fanout.join(late, ["public", "bureau.1"])
    await note(layer, "public", "published", key="e")
    await note(layer, "public", "published", key="e")  # a third copy reaches nobody
    assert (early.texts, late.texts) == (["published"], ["published"])
    for sock in (early, late):
        await fanout.leave(sock)


async def test_a_broken_socket_does_not_stop_the_others_and_writes_yield_in_batches(layer):
    fanout = Fanout("t", render, layer_alias=ALIAS, batch=3)
    socks = [Sock(f"s{i}", broken=i == 1) for i in range(10)]
    for sock in socks:
        await fanout.join(sock, ["public"])
    await note(layer, "public", "hi")
    assert [len(s.texts) for s in socks] == [1, 0, 1, 1, 1, 1, 1, 1, 1, 1]
    for sock in socks:
        await fanout.leave(sock)


async def test_leave_of_a_socket_that_never_joined_is_harmless(layer):
    fanout = Fanout("t", render, layer_alias=ALIAS)
    await fanout.leave(Sock("never"))
    sock = Sock("s")
    await fanout.join(sock, ["public"])
    await fanout.leave(Sock("other"))
    await note(layer, "public", "still")
    assert sock.texts == ["still"]
    await fanout.leave(sock)


async def test_messages_beyond_the_layers_capacity_wait_no_longer_they_are_dropped(layer):
    """Writing lags (a stalled socket): the process keeps at most the layer's capacity of
    messages waiting, as channels_redis does per channel, and drops the rest."""
    gate = asyncio.Event()

    class Stalled(Sock):
        async def send(self, text_data=None, bytes_data=None, close=False):
            await gate.wait()
            self.texts.append(text_data)

    fanout = Fanout("t", render, layer_alias=ALIAS)
    sock = Stalled("stalled")
    await fanout.join(sock, ["public"])
    for i in range(layer.capacity + 50):
        await layer.group_send("public", {"type": "note", "text": str(i)})
        await asyncio.sleep(0)
    await settle()
    gate.set()
    await settle()
    assert len(sock.texts) == 1 + layer.capacity  # the one being written, and those waiting
    assert sock.texts[:2] == ["0", "1"]
    await fanout.leave(sock)


def test_the_server_process_freezes_start_up_and_collects_young_objects_less_often():
    """portal.asgi (what daphne loads) keeps full garbage collections off the event writes."""
    import gc

    import portal.asgi  # noqa: F401

    assert gc.get_freeze_count() > 0
    assert gc.get_threshold()[0] == 10_000
