"""The public import path of the channel layers named in settings
(``"buergerchat_wagtail.channel_layers.InMemoryChannelLayer"``, ``redis_channel_layer``);
defined in ``buergerchat_wagtail.realtime.layers``."""

from buergerchat_wagtail.realtime.layers import (
    CAPACITY,
    MAX_CONNECTIONS,
    SOCKET_TIMEOUT,
    InMemoryChannelLayer,
    redis_channel_layer,
)

__all__ = ["CAPACITY", "MAX_CONNECTIONS", "SOCKET_TIMEOUT", "InMemoryChannelLayer", "redis_channel_layer"]
