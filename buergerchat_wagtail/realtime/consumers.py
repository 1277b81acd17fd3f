"""Thin WebSocket consumers: parse a frame, authorise, call a service, answer.

Every refused frame gets an error frame and the socket stays open. Only a staff
socket without rights is closed (4401 not logged in, 4403 forbidden).
"""

import asyncio
import json
import logging
import time
from urllib.parse import parse_qs

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from buergerchat_wagtail.availability import presence
from buergerchat_wagtail.availability import state as availability
from buergerchat_wagtail.casework import idle, workflow
from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.consultations import queue as consultations
from buergerchat_wagtail.conversations import payloads, receipts, services
from buergerchat_wagtail.conversations.permissions import (
    conversation_permission_policy,
    fresh_user_permissions,
)
from buergerchat_wagtail.events import groups
from buergerchat_wagtail.models import Conversation, Department, QueueEntry, SenderType
from buergerchat_wagtail.protocol.frames import (
    CITIZEN_FRAMES,
    PROTOCOL_VERSION,
    STAFF_FRAMES,
    ProtocolError,
    parse_frame,
)
from buergerchat_wagtail.realtime.db_calls import database_call

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TOO_MANY_FAILURES = 4429
PERMISSION_RECHECK_SECONDS = 30
#: A socket's typing notifications are passed on at most this often (same state).
TYPING_INTERVAL_SECONDS = 1.0
#: Timers for clock transitions (office hours begin or end, a session ends) are
#: capped, so a far-away change is re-planned now and then instead of sleeping days.
MAX_TIMER_SECONDS = 6 * 3600


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
        # Channel-layer events (bc_*) are rendered in the socket's language too.
        with translation.override(getattr(self, "language", None) or scope_language(self.scope)):
            await super().dispatch(message)

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


class CitizenConsumer(BaseChatConsumer):
    """One citizen, one conversation; authenticated by the secret in an ``auth`` frame."""

    frame_types = CITIZEN_FRAMES
    audience = payloads.CITIZEN

    async def connect(self):
        self.conversation = None
        self.auth_failures = 0
        self.timers = {}
        await self.accept()

    async def disconnect(self, code):
        self.cancel_timers()
        if self.conversation is not None:
            await self.leave_conversation_groups(self.conversation)

    async def leave_conversation_groups(self, conversation):
        await self.channel_layer.group_discard(groups.conversation_citizen(conversation.pk), self.channel_name)
        await self.channel_layer.group_discard(groups.availability(conversation.department_id), self.channel_name)

    # ---- clock transitions, computed on the server and pushed

    def cancel_timers(self):
        for handle in self.timers.values():
            handle.cancel()
        self.timers = {}

    def schedule(self, name, seconds, callback):
        """Run ``callback`` (a coroutine function) after ``seconds``; replaces a timer of that name."""
        if name in self.timers:
            self.timers.pop(name).cancel()
        if seconds is None:
            return
        loop = asyncio.get_running_loop()
        delay = min(max(seconds, 1), MAX_TIMER_SECONDS)
        self.timers[name] = loop.call_later(delay, lambda: asyncio.ensure_future(self.run_timer(callback)))

    async def run_timer(self, callback):
        with translation.override(self.language):
            try:
                await callback()
            except Exception:  # noqa: BLE001  (a timer must not kill the socket)
                logger.warning("citizen socket timer failed", exc_info=True)

    async def send_availability(self):
        conversation = self.conversation
        if conversation is None:
            return
        data = await database_call(self._availability)(conversation.department_id)
        if data is None:
            return
        await self.send_frame("availability", availability=data)
        self.schedule_availability(data)

    def schedule_availability(self, data):
        """Push the new state when office hours begin or end (computed on the server)."""
        if data is not None:
            self.schedule("availability", data["refresh_in"] if data["next_change"] else None, self.send_availability)

    def _availability(self, department_id):
        department = Department.objects.select_related("office_hours").filter(pk=department_id).first()
        return availability.department_state(department).as_payload() if department else None

    async def send_queue(self):
        conversation = self.conversation
        if conversation is None:
            return
        data = await database_call(self._queue)(conversation.pk)
        if data is None:
            return
        await self.send_frame("queue", queue=data["payload"])
        self.schedule("queue", data["ends_in"], self.send_queue)

    def _queue(self, conversation_id):
        entry = QueueEntry.objects.select_related("session", "session__department").filter(
            conversation_id=conversation_id
        ).first()
        if entry is None:
            return None
        if consultations.finish_if_over(entry.session):
            entry.refresh_from_db()
        ends_in = None
        if entry.status in consultations.OPEN_STATUSES and not entry.session.has_ended():
            ends_in = (entry.session.ends_at - timezone.now()).total_seconds() + 1
        return {"payload": consultations.entry_payload(entry), "ends_in": ends_in}

    async def bc_availability(self, event):
        with translation.override(self.language):
            state = availability.DepartmentState.from_event(event["state"])
            await self.send_frame("availability", availability=state.as_payload())

    async def bc_queue(self, event):
        with translation.override(self.language):
            await self.send_frame("queue", queue=consultations.queue_payload(event["queue"]))

    def require_conversation(self):
        if self.conversation is None:
            raise ProtocolError("not_authenticated", _("Please authenticate with your conversation code first."))
        return self.conversation

    async def handle_auth(self, frame):
        conversation = await database_call(
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
            await self.leave_conversation_groups(self.conversation)
            self.cancel_timers()
        self.conversation = conversation
        await self.channel_layer.group_add(groups.conversation_citizen(conversation.pk), self.channel_name)
        await self.channel_layer.group_add(groups.availability(conversation.department_id), self.channel_name)
        # Join first, then read: a message stored in between arrives twice, never zero times
        # (clients drop duplicates by id).
        messages = await database_call(self._messages_after)(frame.after)
        state = await database_call(self._availability)(conversation.department_id)
        queue = await database_call(self._queue)(conversation.pk)
        await self.send_frame(
            "ready",
            conversation=payloads.conversation_payload(conversation, payloads.CITIZEN),
            messages=messages,
            availability=state,
            queue=queue["payload"] if queue else None,
        )
        self.schedule_availability(state)
        if queue:
            self.schedule("queue", queue["ends_in"], self.send_queue)

    async def handle_ping(self, frame):
        # The widget pings when its idle deadline has passed: close it now if it is due
        # (the state reaches the widget as a ``conversation`` frame), and let the job
        # look at all conversations now and then.
        if self.conversation is not None:
            await database_call(workflow.close_if_idle)(self.conversation)
        await database_call(idle.schedule_idle_close)()
        await super().handle_ping(frame)

    async def handle_extend(self, frame):
        conversation = self.require_conversation()

        def extend():
            fresh = workflow.extend_idle(conversation)
            return payloads.conversation_payload(fresh, payloads.CITIZEN)

        await self.send_frame("extended", conversation=await database_call(extend)())

    async def handle_leave_queue(self, frame):
        conversation = self.require_conversation()

        def leave():
            entry = QueueEntry.objects.select_related("session").filter(conversation_id=conversation.pk).first()
            if entry is None:
                raise ProtocolError("not_in_queue", _("This conversation is not in a queue."))
            consultations.leave(entry)
            return consultations.entry_payload(entry)

        await self.send_frame("queue", queue=await database_call(leave)())

    def _messages_after(self, after):
        return payloads.messages_payload(
            services.citizen_messages_after(self.conversation, after), payloads.CITIZEN, self.conversation
        )

    async def bc_deleted(self, event):
        """The conversation was deleted (by the citizen, staff or the purge)."""
        if self.conversation is None or self.conversation.pk != event["conversation"]:
            return
        await self.channel_layer.group_discard(groups.conversation_citizen(self.conversation.pk), self.channel_name)
        self.conversation = None
        await self.send_frame("deleted")
    async def rejoin_groups(self):
        if self.conversation is not None:
            await self.channel_layer.group_add(groups.conversation_citizen(self.conversation.pk), self.channel_name)
            await self.channel_layer.group_add(groups.availability(self.conversation.department_id), self.channel_name)

    async def handle_sync(self, frame):
        self.require_conversation()
        await self.rejoin_groups()
        messages = await database_call(self._messages_after)(frame.after)
        await self.send_frame("messages", messages=messages)

    async def handle_message(self, frame):
        conversation = self.require_conversation()
        message, created = await database_call(services.post_message)(
            conversation=conversation, sender=SenderType.CITIZEN, body=frame.body, client_id=frame.client_id
        )
        await self.send_frame(
            "ack",
            client_id=str(frame.client_id),
            duplicate=not created,
            message=payloads.message_payload(message, payloads.CITIZEN, department=conversation.department),
        )

    async def handle_typing(self, frame):
        conversation = self.require_conversation()
        if self.typing_allowed(frame.active):
            await database_call(receipts.typing_by_citizen)(conversation, frame.active)

    async def handle_read(self, frame):
        conversation = self.require_conversation()
        await database_call(receipts.mark_read_by_citizen)(conversation, frame.up_to)

    async def handle_rate(self, frame):
        conversation = self.require_conversation()
        conversation = await database_call(workflow.rate)(conversation, frame.score, frame.comment)
        await self.send_frame("rated", conversation=payloads.conversation_payload(conversation, payloads.CITIZEN))

    async def bc_state(self, event):
        """The conversation changed (status, department): re-read it, tell the widget."""
        if self.conversation is None:
            return
        fresh = await database_call(
            lambda: Conversation.objects.select_related("department").filter(pk=self.conversation.pk).first()
        )()
        moved = False
        if fresh is not None:
            moved = fresh.department_id != self.conversation.department_id
            if moved:  # passed on: the office hours of the new department apply
                await self.channel_layer.group_discard(
                    groups.availability(self.conversation.department_id), self.channel_name
                )
                await self.channel_layer.group_add(groups.availability(fresh.department_id), self.channel_name)
            self.conversation = fresh
        await self.send_frame("conversation", conversation=payloads.localize_conversation(event["conversation"]))
        if moved:
            await self.send_availability()

    async def bc_read(self, event):
        await self.send_frame("read", reader=event["reader"], up_to=event["up_to"])

    async def bc_typing(self, event):
        await self.send_frame("typing", sender=event["sender"], author=event["author"], active=event["active"])


class StaffConsumer(BaseChatConsumer):
    """A case worker in the Wagtail admin: inbox events of their departments and
    the conversations they open. Permissions are checked again on every action."""

    frame_types = STAFF_FRAMES
    audience = payloads.STAFF

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
        if not await database_call(self._may_use_inbox)():
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.channel_layer.group_add(groups.STAFF_BROADCAST, self.channel_name)
        await self.apply_department_ids(department_ids)
        await self.send_frame("hello", departments=sorted(self.department_ids))
        await database_call(self._register_presence)()

    def _register_presence(self):
        presence.register(self.channel_name, self.user)
        self.present = True
        availability.broadcast(presence.department_ids_of(self.user), presence_changed=True)

    def _unregister_presence(self):
        presence.unregister(self.channel_name)
        availability.broadcast(presence.department_ids_of(self.user), presence_changed=True)

    async def handle_ping(self, frame):
        await self.rejoin_groups()
        await database_call(idle.schedule_idle_close)()
        if getattr(self, "present", False):
            recreated = await database_call(presence.heartbeat)(self.channel_name, self.user)
            if recreated:
                await database_call(
                    lambda: availability.broadcast(presence.department_ids_of(self.user), presence_changed=True)
                )()
        await self.send_frame("pong")

    def _may_use_inbox(self):
        return self.user.has_perm("wagtailadmin.access_admin") and conversation_permission_policy.user_has_permission(
            self.user, "view"
        )

    async def disconnect(self, code):
        if getattr(self, "present", False):
            self.present = False
            try:
                await database_call(self._unregister_presence)()
            except DatabaseError:
                logger.warning("could not unregister staff presence", exc_info=True)
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

        ids = await database_call(load)()
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
            conversation = (
                Conversation.objects.select_related("department", "assignee").filter(pk=conversation_id).first()
            )
            if conversation is None or not conversation_permission_policy.user_has_permission_for_instance(
                self.user, action, conversation
            ):
                return None
            return conversation

        conversation = await database_call(load)()
        if conversation is None:
            raise ProtocolError("forbidden", _("You may not access this conversation."))
        return conversation

    async def handle_subscribe(self, frame):
        conversation = await self.get_conversation(frame.conversation, "view")
        self.subscriptions[conversation.pk] = conversation.department_id
        await self.channel_layer.group_add(groups.conversation_staff(conversation.pk), self.channel_name)
        messages = await database_call(
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

    async def rejoin_groups(self):
        await self.channel_layer.group_add(groups.STAFF_BROADCAST, self.channel_name)
        for department_id in self.department_ids:
            await self.channel_layer.group_add(groups.department(department_id), self.channel_name)
        for conversation_id in self.subscriptions:
            await self.channel_layer.group_add(groups.conversation_staff(conversation_id), self.channel_name)

    async def handle_sync(self, frame):
        conversation = await self.get_conversation(frame.conversation, "view")
        await self.rejoin_groups()
        messages = await database_call(
            lambda: payloads.messages_payload(
                services.messages_after(conversation, frame.after), payloads.STAFF, conversation
            )
        )()
        await self.send_frame("messages", conversation=conversation.pk, messages=messages)

    async def handle_message(self, frame):
        conversation = await self.get_conversation(frame.conversation, "reply")
        message, created = await database_call(services.post_message)(
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
            message=payloads.message_payload(message, payloads.STAFF, department=conversation.department),
        )

    async def handle_note(self, frame):
        conversation = await self.get_conversation(frame.conversation, "note")
        message, created = await database_call(services.post_message)(
            conversation=conversation,
            sender=SenderType.STAFF,
            body=frame.body,
            client_id=frame.client_id,
            author=self.user,
            internal=True,
        )
        await self.send_frame(
            "ack",
            conversation=conversation.pk,
            client_id=str(frame.client_id),
            duplicate=not created,
            message=payloads.message_payload(message, payloads.STAFF, department=conversation.department),
        )

    async def handle_typing(self, frame):
        conversation = await self.get_conversation(frame.conversation, "note" if frame.note else "reply")
        if self.typing_allowed(frame.active):
            await database_call(receipts.typing_by_staff)(
                conversation, self.user, frame.active, note=frame.note, channel_name=self.channel_name
            )

    async def handle_read(self, frame):
        conversation = await self.get_conversation(frame.conversation, "view")
        await database_call(receipts.mark_read_by_staff)(conversation, self.user, frame.up_to)

    async def run_action(self, frame, action, function, *args):
        """A staff action: checked here and again by the service on the locked row.
        ``done`` carries the new state and whether the user may still open it (not
        after passing it on to a department they do not belong to)."""
        conversation = await self.get_conversation(frame.conversation, action)
        conversation = await database_call(function)(conversation, self.user, *args)

        def answer():
            return (
                payloads.conversation_payload(conversation, payloads.STAFF),
                conversation_permission_policy.user_has_permission_for_instance(self.user, "view", conversation),
            )

        payload, access = await database_call(answer)()
        await self.send_frame("done", action=frame.type, conversation=payload, access=access)

    async def handle_take(self, frame):
        await self.run_action(frame, "take", workflow.take)

    async def handle_assign(self, frame):
        await self.run_action(frame, "assign", workflow.assign, frame.assignee)

    async def handle_transfer(self, frame):
        await self.run_action(frame, "transfer", workflow.transfer, frame.department, frame.reason)

    async def handle_status(self, frame):
        await self.run_action(frame, "status", workflow.set_status, frame.status)

    def message_extra(self, event):
        return {"conversation": event["conversation"]}

    async def may_follow(self, event):
        """Whether a live event of an opened conversation is for this socket now."""
        if event["conversation"] not in self.subscriptions:
            return False
        await self.refresh_permissions()
        return event["department"] in self.department_ids

    async def bc_message(self, event):
        if await self.may_follow(event):
            await super().bc_message(event)

    async def bc_read(self, event):
        if await self.may_follow(event):
            await self.send_frame("read", conversation=event["conversation"], reader=event["reader"], up_to=event["up_to"])

    async def bc_typing(self, event):
        if event.get("channel") == self.channel_name or not await self.may_follow(event):
            return
        await self.send_frame(
            "typing",
            conversation=event["conversation"],
            sender=event["sender"],
            author=event["author"] or _("Citizen"),
            active=event["active"],
            note=event.get("note", False),
        )

    async def bc_transferred(self, event):
        """An opened conversation moved to another department: staff of both see it; who
        lost access stops following it (after this last frame)."""
        conversation_id = event["conversation"]
        if conversation_id not in self.subscriptions:
            return
        await self.refresh_permissions(force=True)
        source, target = event["from_department"], event["to_department"]
        if source["id"] not in self.department_ids and target["id"] not in self.department_ids:
            return
        access = target["id"] in self.department_ids
        await self.send_frame(
            "transferred",
            conversation=conversation_id,
            from_department=source,
            to_department=target,
            message=payloads.localize_message(event["message"], self.audience),
            access=access,
        )
        if access:
            self.subscriptions[conversation_id] = target["id"]
        else:
            del self.subscriptions[conversation_id]
            await self.channel_layer.group_discard(groups.conversation_staff(conversation_id), self.channel_name)

    async def bc_attachment(self, event):
        if event["conversation"] not in self.subscriptions:
            return
        await self.refresh_permissions()
        if event["department"] not in self.department_ids:
            return
        await super().bc_attachment(event)

    async def bc_conversation(self, event):
        await self.refresh_permissions()
        if event["department"] not in self.department_ids:
            return
        await self.send_frame(
            "conversation",
            conversation=payloads.localize_conversation(event["conversation"]),
            started=event.get("started", False),
        )

    async def bc_availability(self, event):
        await self.refresh_permissions()
        if event["department"] not in self.department_ids:
            return
        with translation.override(self.language):
            state = availability.DepartmentState.from_event(event["state"])
            await self.send_frame("availability", availability=state.as_payload())

    async def bc_queue_staff(self, event):
        await self.refresh_permissions()
        if event["department"] not in self.department_ids:
            return
        await self.send_frame("queue", session=event["session"])

    async def bc_deleted(self, event):
        if event["conversation"] in self.subscriptions:
            del self.subscriptions[event["conversation"]]
            await self.channel_layer.group_discard(groups.conversation_staff(event["conversation"]), self.channel_name)
        await self.refresh_permissions()
        if event["department"] in self.department_ids:
            await self.send_frame("deleted", conversation=event["conversation"])

    async def bc_permissions(self, event):
        await self.refresh_permissions(force=True)
