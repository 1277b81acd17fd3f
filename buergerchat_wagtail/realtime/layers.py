"""Channel layers: the embedded one (one process) and the settings for several
workers (channels-redis).

Channels' in-memory layer walks every group membership of the process on each
receive and group send, to drop expired entries: with 500 open conversations that
is thousands of steps for each of the dozen deliveries a message makes, and the
cost per message grows with the number of sockets. :class:`InMemoryChannelLayer`
does that clean-up at most once a second.

For several workers, :func:`redis_channel_layer` gives channels-redis' pub/sub layer
by default (one ``PUBLISH`` per group send, see its docstring). For its queue layer
the settings are tuned for redis-py 8, whose defaults do not fit a chat:

- A connection pool holds at most 100 connections and then raises
  ``MaxConnectionsError`` instead of waiting. Hundreds of sockets joining their
  groups at once (a worker restarted, its clients reconnecting) need more.
- Every read times out after 5 seconds, and channels-redis blocks for exactly
  5 seconds (``BZPOPMIN``) waiting for a socket's next event. On a busy worker the
  reply comes a little late, the read times out, and the socket dies with 1011.

Use in settings::

    from buergerchat_wagtail.channel_layers import redis_channel_layer
    CHANNEL_LAYERS = {"default": redis_channel_layer(os.environ["REDIS_URL"])}
    # or, one process only:
    CHANNEL_LAYERS = {"default": {"BACKEND": "buergerchat_wagtail.channel_layers.InMemoryChannelLayer"}}
"""

import time

from channels.layers import InMemoryChannelLayer as ChannelsInMemoryChannelLayer

#: Per worker process; workers x this must stay below Redis' ``maxclients`` (10,000).
MAX_CONNECTIONS = 1000
#: Longer than channels-redis' 5-second blocking receive plus a busy event loop's lag.
SOCKET_TIMEOUT = 30
#: Events a socket's channel holds before new ones are dropped (Channels' default:
#: 100). A case worker's socket gets the inbox events of whole departments; while it
#: waits for a database call, a burst must not push the next message out. (Dropped
#: events are not lost messages: clients resync from the database.)
CAPACITY = 1000


def redis_channel_layer(
    url, *, mode="pubsub", max_connections=MAX_CONNECTIONS, socket_timeout=SOCKET_TIMEOUT, capacity=CAPACITY, **config
):
    """A ``CHANNEL_LAYERS`` entry for channels-redis at ``url``; ``config`` is passed on.

    ``mode="pubsub"`` (the default): ``RedisPubSubChannelLayer``. A group send is one
    ``PUBLISH``; each worker subscribed to the group receives it once and hands it to
    its own sockets. Measured (docs/performance.md): one worker on PostgreSQL stored
    and delivered live 250 messages/s with this layer, against 37 % of them with
    the queue layer. An event published while a worker's Redis connection is down is
    not delivered: clients resync from the database (``RESYNC_INTERVAL``), as they do
    for any dropped event.

    ``mode="queue"``: ``RedisChannelLayer``, a Redis list per socket with capacity and
    expiry (``config``: e.g. ``expiry``); every event costs each receiving socket two
    to three Redis round trips, serialised per worker.
    """
    if mode == "pubsub":
        return {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [{"address": url, "socket_timeout": socket_timeout}], **config},
        }
    if mode != "queue":
        raise ValueError(f"unknown channel layer mode {mode!r} (pubsub or queue)")
    host = {"address": url, "max_connections": max_connections, "socket_timeout": socket_timeout}
    return {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [host], "capacity": capacity, **config},
    }


class InMemoryChannelLayer(ChannelsInMemoryChannelLayer):
    """Channels' in-memory layer with its expiry clean-up at most every
    ``clean_interval`` seconds instead of on every receive and group send. Messages
    expire after 60 seconds and group memberships after a day, so a second later
    changes nothing a client could notice."""

    clean_interval = 1.0

    def __init__(self, *args, capacity=CAPACITY, **kwargs):
        super().__init__(*args, capacity=capacity, **kwargs)
        self._cleaned_at = float("-inf")

    def _clean_expired(self):
        now = time.monotonic()
        if now - self._cleaned_at < self.clean_interval:
            return
        self._cleaned_at = now
        super()._clean_expired()
