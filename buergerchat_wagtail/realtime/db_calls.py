"""Running the synchronous domain code (ORM, services) from the async consumers.

Channels' ``database_sync_to_async`` is thread-sensitive by default: every ORM call
of a worker runs on one thread, one after the other, so on PostgreSQL a worker stores
one message per commit round trip. On PostgreSQL (and any server database) the calls
run on a pool of threads instead, each with its own connection, so commits of
different conversations overlap; per conversation, the row lock in
``services.post_message`` keeps messages in order. SQLite allows one writer at a
time anyway: there the calls stay on the one thread, which serialises them without
SQLite's busy-wait sleeps.

The channel-layer sends of the call (``broadcasting.group_send``) are collected and
sent afterwards on the event loop, instead of hopping from the thread to the loop and
back for each of them.
"""

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import DEFAULT_DB_ALIAS, connections

from buergerchat_wagtail.events import broadcasting


def serialise_database_calls():
    """True where one database thread per worker is the better choice (SQLite)."""
    return connections[DEFAULT_DB_ALIAS].vendor == "sqlite"


def database_call(function, *, events=None):
    """Like ``database_sync_to_async(function)``; see the module's docstring.

    ``events``: a list that receives the call's channel-layer sends instead of sending
    them; the caller sends them (``send_events``) when it is ready, e.g. after its own
    reply, so that a sender's acknowledgement goes out before the broadcasts."""

    async def call(*args, **kwargs):
        collected = [] if events is None else events

        def run():
            with broadcasting.deferred(collected):
                return function(*args, **kwargs)

        try:
            return await database_sync_to_async(run, thread_sensitive=serialise_database_calls())()
        finally:
            if events is None:
                await send_events(collected)

    return call


async def send_events(events):
    """Send channel-layer events collected by ``database_call(..., events=...)``."""
    await broadcasting.send_collected(get_channel_layer(), events)
