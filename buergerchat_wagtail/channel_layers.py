"""The channel layer settings for several workers (channels-redis), tuned for
redis-py 8, whose defaults do not fit a chat:

- A connection pool holds at most 100 connections and then raises
  ``MaxConnectionsError`` instead of waiting. Hundreds of sockets joining their
  groups at once (a worker restarted, its clients reconnecting) need more.
- Every read times out after 5 seconds, and channels-redis blocks for exactly
  5 seconds (``BZPOPMIN``) waiting for a socket's next event. On a busy worker the
  reply comes a little late, the read times out, and the socket dies with 1011.

Use in settings::

    from buergerchat_wagtail.channel_layers import redis_channel_layer
    CHANNEL_LAYERS = {"default": redis_channel_layer(os.environ["REDIS_URL"])}
"""

#: Per worker process; workers x this must stay below Redis' ``maxclients`` (10,000).
MAX_CONNECTIONS = 1000
#: Longer than channels-redis' 5-second blocking receive plus a busy event loop's lag.
SOCKET_TIMEOUT = 30


def redis_channel_layer(url, *, max_connections=MAX_CONNECTIONS, socket_timeout=SOCKET_TIMEOUT, **config):
    """A ``CHANNEL_LAYERS`` entry for channels-redis at ``url``; ``config`` is passed on
    (e.g. ``capacity``, ``expiry``)."""
    host = {"address": url, "max_connections": max_connections, "socket_timeout": socket_timeout}
    return {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [host], **config}}
