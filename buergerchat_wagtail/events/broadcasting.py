"""Sending events to channel-layer groups, the notification path of the chat.

The channel layer is best effort (it may drop, Redis may restart): the database is
the truth and clients resync from it, so a failed send is logged, never raised.

Synchronous code (services, views, tasks) calls :func:`group_send`. Called from a
socket, the service runs in a database thread; each send from there would be a hop
to the event loop and back, three or more per message. Inside :func:`deferred`, the
sends are collected instead, and the consumer passes them to :func:`send_collected`
on the event loop once the service has returned (after the commit, in order).

Inbox updates (``bc.conversation`` events to a department's group) sent from there are
collected for ``INBOX_COALESCE_MS`` per department and go out as one
``bc.conversations`` event: with Redis, every event is a round trip for each receiving
worker, and a busy department would otherwise get one per message for each of its
sockets (docs/performance.md). They are inbox summaries only: messages are never
delayed, and an update lost with a crashed worker is repaired by the clients' resync.
"""

import asyncio
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
    """Send what :func:`deferred` collected, in the order it was collected (inbox
    updates: after the coalescing window, see the module)."""
    if layer is None:
        return
    for group, event in events:
        if event.get("type") == "bc.conversation" and inbox_bursts(layer).add(group, event):
            continue
        await _send(layer, group, event)


async def _send(layer, group, event):
    try:
        await layer.group_send(group, event)
    except Exception:  # noqa: BLE001  (the layer is best effort; clients resync)
        logger.warning("channel layer send to %s failed", group, exc_info=True)


class InboxBursts:
    """The inbox updates of one worker's event loop until each department's window
    ends: each conversation once, in its latest state, in order of change. Every
    department has its own window, so the bursts of different departments do not
    all go out at the same moment."""

    def __init__(self, layer, loop):
        self.layer = layer
        self.loop = loop
        self.pending = {}  # group -> (department id, {conversation id: item})

    def add(self, group, event):
        """Take ``event`` into the group's current burst; False when the window is 0."""
        from buergerchat_wagtail.conf import buergerchat_settings

        window = buergerchat_settings.INBOX_COALESCE_MS
        if not window:
            return False
        conversation = event["conversation"]
        if group not in self.pending:
            self.pending[group] = (event["department"], {})
            self.loop.call_later(window / 1000, lambda: self.loop.create_task(self.flush(group)))
        items = self.pending[group][1]
        previous = items.pop(conversation["id"], None)
        # A new conversation stays "started" when it changes again within the window.
        started = bool(event.get("started")) or bool(previous and previous["started"])
        items[conversation["id"]] = {"conversation": conversation, "started": started}
        return True

    async def flush(self, group):
        department, items = self.pending.pop(group)
        await _send(
            self.layer,
            group,
            {"type": "bc.conversations", "department": department, "conversations": list(items.values())},
        )


def inbox_bursts(layer):
    """The running loop's :class:`InboxBursts` for ``layer``."""
    loop = asyncio.get_running_loop()
    bursts = getattr(layer, "_buergerchat_inbox_bursts", None)
    if bursts is None or bursts.loop is not loop:
        bursts = layer._buergerchat_inbox_bursts = InboxBursts(layer, loop)
    return bursts
