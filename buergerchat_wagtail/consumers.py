"""Thin WebSocket consumers: parse a frame, authorise, call a service, answer.

Every refused frame gets an error frame and the socket stays open. Only a staff
socket without rights is closed (4401 not logged in, 4403 forbidden).
"""

import json
import logging
import time
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import DatabaseError
from django.utils import translation
from django.utils.translation import gettext as _

from . import groups, payloads, services
from .conf import buergerchat_settings
from .models import Conversation, SenderType
from .permissions import conversation_permission_policy, fresh_user_permissions
from .protocol import CITIZEN_FRAMES, PROTOCOL_VERSION, STAFF_FRAMES, ProtocolError, parse_frame

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TOO_MANY_FAILURES = 4429
PERMISSION_RECHECK_SECONDS = 30


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
        with translation.override(self.language):
            await super().websocket_connect(message)

    async def send_json(self, data):
        await self.send(text_data=json.dumps(data, ensure_ascii=False))

    async def send_frame(self, frame_type, **data):
        await self.send_json({"v": PROTOCOL_VERSION, "type": frame_type, **data})

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
        await self.send_frame("pong")

    async def bc_message(self, event):
        await self.send_frame("message", message=event["message"], **self.message_extra(event))

    def message_extra(self, event):
        return {}


class CitizenConsumer(BaseChatConsumer):
    """One citizen, one conversation; authenticated by the secret in an ``auth`` frame."""

    frame_types = CITIZEN_FRAMES

    async def connect(self):
        self.conversation = None
        self.auth_failures = 0
        await self.accept()

    async def disconnect(self, code):
        if self.conversation is not None:
            await self.channel_layer.group_discard(groups.conversation_citizen(self.conversation.pk), self.channel_name)

    def require_conversation(self):
        if self.conversation is None:
            raise ProtocolError("not_authenticated", _("Please authenticate with your conversation code first."))
        return self.conversation

    async def handle_auth(self, frame):
        conversation = await database_sync_to_async(
            lambda: Conversation.objects.for_secret(frame.secret).select_related("department").first()
        )()
        if conversation is None:
            self.auth_failures += 1
            if self.auth_failures >= buergerchat_settings.MAX_AUTH_FAILURES:
                await self.send_json(
                    ProtocolError("auth_failed", _("Too many wrong conversation codes.")).as_frame()
                )
                await self.close(code=CLOSE_TOO_MANY_FAILURES)
                return
            raise ProtocolError("auth_failed", _("This conversation code is not valid."))
        if self.conversation is not None and self.conversation.pk != conversation.pk:
            await self.channel_layer.group_discard(groups.conversation_citizen(self.conversation.pk), self.channel_name)
        self.conversation = conversation
        await self.channel_layer.group_add(groups.conversation_citizen(conversation.pk), self.channel_name)
        # Join first, then read: a message stored in between arrives twice, never zero times
        # (clients drop duplicates by id).
        messages = await database_sync_to_async(self._messages_after)(frame.after)
        await self.send_frame(
            "ready",
            conversation=payloads.conversation_payload(conversation, payloads.CITIZEN),
            messages=messages,
        )

    def _messages_after(self, after):
        return payloads.messages_payload(
            services.messages_after(self.conversation, after), payloads.CITIZEN, self.conversation
        )

    async def bc_deleted(self, event):
        """The conversation was deleted (by the citizen, staff or the purge)."""
        if self.conversation is None or self.conversation.pk != event["conversation"]:
            return
        await self.channel_layer.group_discard(groups.conversation_citizen(self.conversation.pk), self.channel_name)
        self.conversation = None
        await self.send_frame("deleted")

    async def handle_sync(self, frame):
        self.require_conversation()
        messages = await database_sync_to_async(self._messages_after)(frame.after)
        await self.send_frame("messages", messages=messages)

    async def handle_message(self, frame):
        conversation = self.require_conversation()
        message, created = await database_sync_to_async(services.post_message)(
            conversation=conversation, sender=SenderType.CITIZEN, body=frame.body, client_id=frame.client_id
        )
        await self.send_frame(
            "ack",
            client_id=str(frame.client_id),
            duplicate=not created,
            message=payloads.message_payload(message, payloads.CITIZEN, department_name=conversation.department.name),
        )


class StaffConsumer(BaseChatConsumer):
    """A case worker in the Wagtail admin: inbox events of their departments and
    the conversations they open. Permissions are checked again on every action."""

    frame_types = STAFF_FRAMES

    async def connect(self):
        self.user = self.scope.get("user")
        self.department_ids = frozenset()
        self.subscriptions = {}  # conversation id -> department id
        self.permissions_checked_at = 0.0
        # Accept first, then close with our code: a refused handshake reaches the
        # browser only as 1006, and the client could not tell "log in again" from "retry".
        await self.accept()
        if self.user is None or not self.user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        department_ids = await self.fresh_department_ids()
        if not await database_sync_to_async(self._may_use_inbox)():
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.channel_layer.group_add(groups.STAFF_BROADCAST, self.channel_name)
        await self.apply_department_ids(department_ids)
        await self.send_frame("hello", departments=sorted(self.department_ids))

    def _may_use_inbox(self):
        return self.user.has_perm("wagtailadmin.access_admin") and conversation_permission_policy.user_has_permission(
            self.user, "view"
        )

    async def disconnect(self, code):
        await self.channel_layer.group_discard(groups.STAFF_BROADCAST, self.channel_name)
        for department_id in self.department_ids:
            await self.channel_layer.group_discard(groups.department(department_id), self.channel_name)
        for conversation_id in list(self.subscriptions):
            await self.channel_layer.group_discard(groups.conversation_staff(conversation_id), self.channel_name)

    async def fresh_department_ids(self):
        def load():
            self.user.refresh_from_db(fields=["is_active", "is_superuser"])
            fresh_user_permissions(self.user)
            return conversation_permission_policy.department_ids_for_user(self.user)

        ids = await database_sync_to_async(load)()
        self.permissions_checked_at = time.monotonic()
        return ids

    async def apply_department_ids(self, department_ids):
        """Join and leave department groups, and drop subscriptions the user lost."""
        for department_id in self.department_ids - department_ids:
            await self.channel_layer.group_discard(groups.department(department_id), self.channel_name)
        for department_id in department_ids - self.department_ids:
            await self.channel_layer.group_add(groups.department(department_id), self.channel_name)
        self.department_ids = department_ids
        for conversation_id, department_id in list(self.subscriptions.items()):
            if department_id not in department_ids:
                del self.subscriptions[conversation_id]
                await self.channel_layer.group_discard(groups.conversation_staff(conversation_id), self.channel_name)

    async def refresh_permissions(self, force=False):
        if force or time.monotonic() - self.permissions_checked_at > PERMISSION_RECHECK_SECONDS:
            await self.apply_department_ids(await self.fresh_department_ids())

    async def get_conversation(self, conversation_id, action):
        """The conversation if the user may ``action`` it now; refuses alike when it
        does not exist, so ids of other departments leak nothing."""
        await self.refresh_permissions(force=True)

        def load():
            conversation = Conversation.objects.select_related("department").filter(pk=conversation_id).first()
            if conversation is None or not conversation_permission_policy.user_has_permission_for_instance(
                self.user, action, conversation
            ):
                return None
            return conversation

        conversation = await database_sync_to_async(load)()
        if conversation is None:
            raise ProtocolError("forbidden", _("You may not access this conversation."))
        return conversation

    async def handle_subscribe(self, frame):
        conversation = await self.get_conversation(frame.conversation, "view")
        self.subscriptions[conversation.pk] = conversation.department_id
        await self.channel_layer.group_add(groups.conversation_staff(conversation.pk), self.channel_name)
        messages = await database_sync_to_async(
            lambda: payloads.messages_payload(
                services.messages_after(conversation, frame.after), payloads.STAFF, conversation
            )
        )()
        await self.send_frame(
            "ready",
            conversation=payloads.conversation_payload(conversation, payloads.STAFF),
            messages=messages,
        )

    async def handle_unsubscribe(self, frame):
        if self.subscriptions.pop(frame.conversation, None) is not None:
            await self.channel_layer.group_discard(groups.conversation_staff(frame.conversation), self.channel_name)
        await self.send_frame("unsubscribed", conversation=frame.conversation)

    async def handle_sync(self, frame):
        conversation = await self.get_conversation(frame.conversation, "view")
        messages = await database_sync_to_async(
            lambda: payloads.messages_payload(
                services.messages_after(conversation, frame.after), payloads.STAFF, conversation
            )
        )()
        await self.send_frame("messages", conversation=conversation.pk, messages=messages)

    async def handle_message(self, frame):
        conversation = await self.get_conversation(frame.conversation, "reply")
        message, created = await database_sync_to_async(services.post_message)(
            conversation=conversation,
            sender=SenderType.STAFF,
            body=frame.body,
            client_id=frame.client_id,
            author=self.user,
        )
        await self.send_frame(
            "ack",
            conversation=conversation.pk,
            client_id=str(frame.client_id),
            duplicate=not created,
            message=payloads.message_payload(message, payloads.STAFF, department_name=conversation.department.name),
        )

    def message_extra(self, event):
        return {"conversation": event["conversation"]}

    async def bc_message(self, event):
        if event["conversation"] not in self.subscriptions:
            return
        await self.refresh_permissions()
        if event["department"] not in self.department_ids:
            return
        await super().bc_message(event)

    async def bc_conversation(self, event):
        await self.refresh_permissions()
        if event["department"] not in self.department_ids:
            return
        await self.send_frame("conversation", conversation=event["conversation"])

    async def bc_deleted(self, event):
        if event["conversation"] in self.subscriptions:
            del self.subscriptions[event["conversation"]]
            await self.channel_layer.group_discard(groups.conversation_staff(event["conversation"]), self.channel_name)
        await self.refresh_permissions()
        if event["department"] in self.department_ids:
            await self.send_frame("deleted", conversation=event["conversation"])

    async def bc_permissions(self, event):
        await self.refresh_permissions(force=True)
