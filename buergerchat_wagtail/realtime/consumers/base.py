"""What both consumers share: the socket's language, frame decoding and the error
frames. Every refused frame gets an error frame and the socket stays open."""

import json
import logging
import time
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import DatabaseError
from django.utils import translation
from django.utils.translation import gettext as _

from buergerchat_wagtail.conversations import payloads
from buergerchat_wagtail.protocol.frames import ProtocolError, parse_frame, reply
from buergerchat_wagtail.realtime.db_calls import database_call, send_events

logger = logging.getLogger(__name__)

#: A socket's typing notifications are passed on at most this often (same state).
TYPING_INTERVAL_SECONDS = 1.0


def scope_language(scope):
    """The language of a socket: ``?lang=`` (the page's language), else Accept-Language."""
    supported = {code for code, _name in settings.LANGUAGES}
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    candidates = query.get("lang", [])[:1]
    for name, value in scope.get("headers", []):
        if name == b"accept-language":
            candidates += [part.split(";")[0].strip() for part in value.decode("latin-1").split(",")]
    for code in candidates:
        try:
            variant = translation.get_supported_language_variant(code)
        except LookupError:
            continue
        if variant in supported:
            return variant
    return settings.LANGUAGE_CODE


class BaseChatConsumer(AsyncWebsocketConsumer):
    frame_types = {}

    async def websocket_connect(self, message):
        self.language = scope_language(self.scope)
        self.typing_sent = (None, 0.0)
        with translation.override(self.language):
            await super().websocket_connect(message)

    async def dispatch(self, message):
        """Channels' dispatch without its ``aclose_old_connections()`` before every event:
        that is a hop to the database thread and back for each of the dozen events a
        message causes, while no handler touches the database on the event loop. Every
        database call goes through ``database_call`` (database_sync_to_async), which
        closes stale connections itself, in the thread that uses them.

        Channel-layer events (bc_*) are rendered in the socket's language too."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        with translation.override(getattr(self, "language", None) or scope_language(self.scope)):
            await handler(message)

    def typing_allowed(self, active):
        """Drop repeats of the same typing state within TYPING_INTERVAL_SECONDS."""
        now = time.monotonic()
        state, at = self.typing_sent
        if state == active and now - at < TYPING_INTERVAL_SECONDS:
            return False
        self.typing_sent = (active, now)
        return True

    async def send_json(self, data):
        await self.send(text_data=json.dumps(data, ensure_ascii=False))

    async def send_frame(self, frame_type, **data):
        await self.send_json(reply(frame_type, **data))

    async def call(self, command, *args, **kwargs):
        """Run a command on the database thread and send its reply frame (if any), then
        the command's broadcasts: the sender's ack comes before the others' events."""
        events = []
        try:
            answer = await database_call(command, events=events)(*args, **kwargs)
            if answer is not None:
                await self.send_json(answer)
        finally:
            await send_events(events)

    async def receive(self, text_data=None, bytes_data=None):
        with translation.override(self.language):
            ref = None
            try:
                if text_data is None:
                    raise ProtocolError("binary_not_supported", _("Only text frames are accepted."))
                frame = parse_frame(text_data, self.frame_types)
                client_id = getattr(frame, "client_id", None)
                ref = str(client_id) if client_id else None
                await getattr(self, "handle_" + frame.type)(frame)
            except ProtocolError as exc:
                await self.send_json(exc.as_frame())
            except DatabaseError:
                logger.warning("database unavailable while handling a frame", exc_info=True)
                await self.send_json(
                    ProtocolError(
                        "unavailable",
                        _("The server cannot store messages right now. Please try again shortly."),
                        ref=ref,
                    ).as_frame()
                )
            except Exception:
                logger.exception("unexpected error while handling a frame")
                await self.send_json(
                    ProtocolError(
                        "server_error", _("Something went wrong on the server. Please try again."), ref=ref
                    ).as_frame()
                )

    async def handle_ping(self, frame):
        await self.rejoin_groups()
        await self.send_frame("pong")

    async def rejoin_groups(self):
        """Join this socket's groups again. Idempotent; restores memberships that a
        restarted channel layer (Redis) forgot. Clients ping or sync periodically."""

    async def bc_message(self, event):
        message = payloads.localize_message(event["message"], self.audience)
        await self.send_frame("message", message=message, **self.message_extra(event))

    def message_extra(self, event):
        return {}

    async def bc_attachment(self, event):
        """An attachment's malware check finished (released, removed or failed)."""
        await self.send_frame(
            "attachment", message=event["message"], attachment=event["attachment"], **self.message_extra(event)
        )
