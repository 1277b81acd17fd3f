"""Sending events to channel-layer groups, the notification path of the chat.

The channel layer is best effort (it may drop, Redis may restart): the database is
the truth and clients resync from it, so a failed send is logged, never raised.

Synchronous code (services, views, tasks) calls :func:`group_send`. Called from a
socket, the service runs in a database thread; each send from there would be a hop
to the event loop and back, three or more per message. Inside :func:`deferred`, the
sends are collected instead, and the consumer passes them to :func:`send_collected`
on the event loop once the service has returned (after the commit, in order).
"""

import logging
import threading
from contextlib import contextmanager

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

_collecting = threading.local()


def group_send(group, event):
    """Send ``event`` to ``group`` now, or collect it inside :func:`deferred`."""
    collected = getattr(_collecting, "events", None)
    if collected is not None:
        collected.append((group, event))
        return
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:  # noqa: BLE001  (the layer is best effort; clients resync)
        logger.warning("channel layer send to %s failed", group, exc_info=True)


@contextmanager
def deferred(events=None):
    """Collect this thread's group sends in ``events`` (a list, yielded) instead of
    sending them."""
    outer = getattr(_collecting, "events", None)
    events = [] if events is None else events
    _collecting.events = events
    try:
        yield events
    finally:
        _collecting.events = outer


async def send_collected(layer, events):
    """Send what :func:`deferred` collected, in the order it was collected."""
    if layer is None:
        return
    for group, event in events:
        try:
            await layer.group_send(group, event)
        except Exception:  # noqa: BLE001  (the layer is best effort; clients resync)
            logger.warning("channel layer send to %s failed", group, exc_info=True)
