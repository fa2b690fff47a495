"""The channel layer's Redis read timeout against the consumers' blocking pop (issue 18).

channels_redis waits for a consumer's messages with ``BZPOPMIN`` of ``brpop_timeout`` seconds;
redis-py 8 reads every answer within ``socket_timeout`` (5 s by default). With both at 5 s the
empty answer of an idle socket raced the read timeout, and under load (bench/scale/fanout.py,
a few hundred sockets) some sockets were closed with 1011 every few seconds.
"""

from __future__ import annotations

import asyncio

from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer


def test_the_read_timeout_is_well_above_the_blocking_pop():
    layer = get_channel_layer()
    assert isinstance(layer, RedisChannelLayer)
    pool = layer.create_pool(0)
    timeout = pool.connection_kwargs["socket_timeout"]
    assert timeout is not None
    assert timeout >= 3 * layer.brpop_timeout


def test_an_idle_receive_outlives_the_blocking_pop():
    """A receive on a channel nobody writes to survives a whole BZPOPMIN round, then gets
    the message sent after it."""
    layer = get_channel_layer()

    async def scenario() -> dict:
        channel = await layer.new_channel()
        waiting = asyncio.create_task(layer.receive(channel))
        await asyncio.sleep(layer.brpop_timeout + 1.5)
        assert not waiting.done()  # neither a message nor an error yet
        await layer.send(channel, {"type": "hello"})
        return await asyncio.wait_for(waiting, timeout=10)

    assert asyncio.run(scenario())["type"] == "hello"
