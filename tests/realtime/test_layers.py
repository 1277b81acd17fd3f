"""The Redis channel layer settings against a real redis-server (required in CI)."""

import asyncio
import time

import pytest

from buergerchat_wagtail.realtime.layers import redis_channel_layer
from tests.live_servers import RedisServer, redis_available


@pytest.fixture(scope="module")
def redis_url():
    if not redis_available():
        pytest.skip("redis-server is not installed")
    server = RedisServer().start()
    yield server.url
    server.cleanup()


def make_layer(url, **kwargs):
    from channels_redis.core import RedisChannelLayer

    return RedisChannelLayer(**redis_channel_layer(url, mode="queue", **kwargs)["CONFIG"])


async def wait_through_a_busy_moment(layer):
    """A socket waits for its next event (channels-redis blocks 5 s in BZPOPMIN)
    while the event loop is busy for a second around the moment Redis answers."""
    channel = await layer.new_channel()
    loop = asyncio.get_running_loop()
    loop.call_later(4.5, time.sleep, 1.0)  # the worker is busy elsewhere
    try:
        await asyncio.wait_for(layer.receive(channel), timeout=8)
    except asyncio.TimeoutError:
        return "still waiting"  # nothing arrived: the socket lives on
    finally:
        await layer.flush()


async def test_a_busy_event_loop_does_not_kill_a_waiting_socket(redis_url):
    assert await wait_through_a_busy_moment(make_layer(redis_url)) == "still waiting"


async def test_redis_py_defaults_would_kill_it(redis_url):
    """The reason for the setting: with redis-py 8's 5-second read timeout the same
    wait ends in redis.exceptions.TimeoutError (the consumer would close with 1011)."""
    import redis.exceptions

    with pytest.raises(redis.exceptions.TimeoutError):
        await wait_through_a_busy_moment(make_layer(redis_url, socket_timeout=5))


@pytest.mark.parametrize("max_connections, fails", [(None, False), (100, True)])
async def test_hundreds_of_group_joins_at_once(redis_url, max_connections, fails):
    """400 sockets join their groups at once; redis-py 8's pool of 100 refuses."""
    import redis.exceptions

    layer = make_layer(redis_url, **({"max_connections": max_connections} if max_connections else {}))
    channels = [await layer.new_channel() for _ in range(400)]
    joins = asyncio.gather(*(layer.group_add(f"bc-storm-{n % 40}", name) for n, name in enumerate(channels)))
    if fails:
        with pytest.raises(redis.exceptions.MaxConnectionsError):
            await joins
        return
    await joins
    await layer.group_send("bc-storm-0", {"type": "x"})
    received = await asyncio.gather(*(layer.receive(name) for name in channels[::40]))
    assert all(event["type"] == "x" for event in received)
    await layer.flush()


async def test_in_memory_layer_cleans_up_at_most_once_a_second(monkeypatch):
    """The embedded layer: many receives and group sends, one walk over the groups;
    expired messages are still dropped once the interval has passed."""
    from channels.layers import InMemoryChannelLayer as ChannelsLayer

    from buergerchat_wagtail.realtime.layers import InMemoryChannelLayer

    walks = []
    original = ChannelsLayer._clean_expired
    monkeypatch.setattr(ChannelsLayer, "_clean_expired", lambda self: walks.append(1) or original(self))
    layer = InMemoryChannelLayer(expiry=60)
    channel = await layer.new_channel()
    await layer.group_add("bc-test", channel)
    for n in range(200):
        await layer.group_send("bc-test", {"type": "x", "n": n})
        assert (await layer.receive(channel))["n"] == n
    assert len(walks) == 1

    stale = await layer.new_channel()
    await layer.send(stale, {"type": "old"})
    layer.channels[stale]._queue[0] = (0, {"type": "old"})  # expired long ago
    layer._cleaned_at -= InMemoryChannelLayer.clean_interval
    await layer.group_send("bc-test", {"type": "x", "n": -1})
    assert stale not in layer.channels
    assert len(walks) == 2


async def test_a_busy_case_worker_socket_keeps_a_burst(redis_url):
    """A case worker's socket gets the inbox events of whole departments: while it
    waits, 500 events wait for it (Channels' default capacity would drop 400)."""
    from buergerchat_wagtail.realtime.layers import InMemoryChannelLayer

    for layer in (make_layer(redis_url), InMemoryChannelLayer()):
        channel = await layer.new_channel()
        await layer.group_add("bc-department-1", channel)
        for n in range(500):
            await layer.group_send("bc-department-1", {"type": "x", "n": n})
        assert [(await layer.receive(channel))["n"] for _ in range(500)] == list(range(500))
        await layer.flush()


def make_pubsub_layer(url):
    from channels_redis.pubsub import RedisPubSubChannelLayer

    config = redis_channel_layer(url)
    assert config["BACKEND"] == "channels_redis.pubsub.RedisPubSubChannelLayer"  # the default mode
    return RedisPubSubChannelLayer(**config["CONFIG"])


async def test_pubsub_layer_hands_a_group_event_to_every_socket_of_the_worker(redis_url):
    """One PUBLISH per group send; the worker hands it to each of its sockets."""
    layer = make_pubsub_layer(redis_url)
    try:
        channels = [await layer.new_channel() for _ in range(300)]
        await asyncio.gather(*(layer.group_add("department-1", channel) for channel in channels))
        await layer.group_send("department-1", {"type": "bc.conversation", "n": 1})
        received = await asyncio.wait_for(asyncio.gather(*(layer.receive(c) for c in channels)), timeout=10)
        assert [event["n"] for event in received] == [1] * 300
    finally:
        await layer.flush()


async def test_pubsub_layer_receives_again_after_redis_restarted(tmp_path):
    """Events published while Redis is down are lost (clients resync); afterwards the
    worker is subscribed again without any socket rejoining."""
    if not redis_available():
        pytest.skip("redis-server is not installed")
    server = RedisServer().start()
    layer = make_pubsub_layer(server.url)
    try:
        channel = await layer.new_channel()
        await layer.group_add("conversation-1", channel)
        await layer.group_send("conversation-1", {"type": "bc.message", "n": 1})
        assert (await asyncio.wait_for(layer.receive(channel), timeout=5))["n"] == 1
        server.stop()
        server.start()
        # One waiting receive, as a consumer has (cancelling a receive of the pub/sub
        # layer drops the channel: it takes that for the consumer leaving).
        waiting = asyncio.ensure_future(layer.receive(channel))
        deadline = time.monotonic() + 20
        while not waiting.done():  # the receive task reconnects and subscribes again within seconds
            assert time.monotonic() < deadline, "not subscribed again after the restart"
            try:
                await layer.group_send("conversation-1", {"type": "bc.message", "n": 2})
            except Exception:  # noqa: BLE001  (Redis not back yet)
                pass
            await asyncio.wait([waiting], timeout=0.5)
        assert waiting.result()["n"] == 2
    finally:
        await layer.flush()
        server.cleanup()
