"""The citizen's socket: one conversation, authenticated by the secret in an ``auth``
frame. The socket keeps the conversation's and department's ids, never a model copy;
office-hour and consultation transitions are computed on the server and pushed."""

import asyncio
import logging

from django.db import DatabaseError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from buergerchat_wagtail.availability import presence
from buergerchat_wagtail.availability import state as availability
from buergerchat_wagtail.casework import idle
from buergerchat_wagtail.commands import citizen as commands
from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.consultations import queue as consultations
from buergerchat_wagtail.conversations import notifications, payloads
from buergerchat_wagtail.events import groups
from buergerchat_wagtail.models import Conversation, Department, QueueEntry
from buergerchat_wagtail.protocol.frames import CITIZEN_FRAMES, ProtocolError
from buergerchat_wagtail.realtime import auth_failures
from buergerchat_wagtail.conversations.ratelimit import scope_address
from buergerchat_wagtail.realtime.consumers.base import BaseChatConsumer
from buergerchat_wagtail.realtime.db_calls import database_call

logger = logging.getLogger(__name__)

CLOSE_TOO_MANY_FAILURES = 4429
#: No successful ``auth`` within ``BUERGERCHAT["AUTH_TIMEOUT_SECONDS"]`` of connecting.
CLOSE_AUTH_TIMEOUT = 4408
#: Timers for clock transitions (office hours begin or end, a session ends) are
#: capped, so a far-away change is re-planned now and then instead of sleeping days.
MAX_TIMER_SECONDS = 6 * 3600


def department_availability(department_id):
    department = Department.objects.select_related("office_hours").filter(pk=department_id).first()
    return availability.department_state(department).as_payload() if department else None


def queue_state(conversation_id):
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


def authenticate(secret):
    """``(conversation id, department id)`` for a secret, or ``None``."""
    return Conversation.objects.for_secret(secret).values_list("pk", "department_id").first()


class CitizenConsumer(BaseChatConsumer):
    frame_types = CITIZEN_FRAMES
    audience = payloads.CITIZEN

    async def connect(self):
        self.conversation_id = None
        self.department_id = None
        self.client_address = scope_address(self.scope)
        self.timers = {}
        await self.accept()
        self.schedule("auth", buergerchat_settings.AUTH_TIMEOUT_SECONDS, self.auth_timeout)

    async def auth_timeout(self):
        if self.conversation_id is None:
            await self.close(code=CLOSE_AUTH_TIMEOUT)

    async def disconnect(self, code):
        self.cancel_timers()
        if self.conversation_id is not None:
            await self.leave_groups()
            try:
                await database_call(presence.citizen_left)(self.channel_name)
            except DatabaseError:
                logger.warning("could not unregister citizen presence", exc_info=True)

    async def mark_present(self):
        """The citizen has this conversation open: no e-mail notice meanwhile."""
        if self.conversation_id is not None:
            await database_call(presence.citizen_seen)(self.channel_name, self.conversation_id)

    async def join_groups(self):
        await self.channel_layer.group_add(groups.conversation_citizen(self.conversation_id), self.channel_name)
        await self.channel_layer.group_add(groups.availability(self.department_id), self.channel_name)

    async def leave_groups(self):
        await self.channel_layer.group_discard(groups.conversation_citizen(self.conversation_id), self.channel_name)
        await self.channel_layer.group_discard(groups.availability(self.department_id), self.channel_name)

    async def rejoin_groups(self):
        if self.conversation_id is not None:
            await self.join_groups()

    def require_conversation(self):
        if self.conversation_id is None:
            raise ProtocolError("not_authenticated", _("Please authenticate with your conversation code first."))
        return self.conversation_id

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
        if self.department_id is None:
            return
        data = await database_call(department_availability)(self.department_id)
        if data is None:
            return
        await self.send_frame("availability", availability=data)
        self.schedule_availability(data)

    def schedule_availability(self, data):
        """Push the new state when office hours begin or end (computed on the server)."""
        if data is not None:
            self.schedule("availability", data["refresh_in"] if data["next_change"] else None, self.send_availability)

    async def send_queue(self):
        if self.conversation_id is None:
            return
        data = await database_call(queue_state)(self.conversation_id)
        if data is None:
            return
        await self.send_frame("queue", queue=data["payload"])
        self.schedule("queue", data["ends_in"], self.send_queue)

    # ---- frames

    async def refuse_auth(self):
        await self.send_json(ProtocolError("auth_failed", _("Too many wrong conversation codes.")).as_frame())
        await self.close(code=CLOSE_TOO_MANY_FAILURES)

    async def handle_auth(self, frame):
        # Counted per client address, so that new sockets do not get new guesses.
        if await database_call(auth_failures.blocked)(self.client_address):
            await self.refuse_auth()
            return
        found = await database_call(authenticate)(frame.secret)
        if found is None:
            count = await database_call(auth_failures.count_failure)(self.client_address)
            if count >= buergerchat_settings.MAX_AUTH_FAILURES:
                await self.refuse_auth()
                return
            raise ProtocolError("auth_failed", _("This conversation code is not valid."))
        if "auth" in self.timers:
            self.timers.pop("auth").cancel()
        if self.conversation_id is not None and self.conversation_id != found[0]:
            await self.leave_groups()
            self.cancel_timers()
        self.conversation_id, self.department_id = found
        # Join first, then read: a message stored in between arrives twice, never zero
        # times (clients drop duplicates by id).
        await self.join_groups()
        await self.mark_present()
        answer = await database_call(commands.ready)(self.conversation_id, frame.after)
        state = await database_call(department_availability)(self.department_id)
        queue = await database_call(queue_state)(self.conversation_id)
        await self.send_json({**answer, "availability": state, "queue": queue["payload"] if queue else None})
        self.schedule_availability(state)
        if queue:
            self.schedule("queue", queue["ends_in"], self.send_queue)

    async def handle_ping(self, frame):
        # The widget pings when its idle deadline has passed: close it now if it is due
        # (the state reaches the widget as a ``conversation`` frame), and let the job
        # look at all conversations now and then.
        if self.conversation_id is not None:
            await database_call(commands.close_if_idle)(self.conversation_id)
        await database_call(idle.schedule_idle_close)()
        await database_call(notifications.schedule_sweep)()
        await self.mark_present()
        await super().handle_ping(frame)

    async def handle_sync(self, frame):
        self.require_conversation()
        await self.rejoin_groups()
        await self.mark_present()
        await self.call(commands.sync, self.conversation_id, frame)

    async def handle_message(self, frame):
        await self.call(commands.send, self.require_conversation(), frame)

    async def handle_typing(self, frame):
        conversation_id = self.require_conversation()
        if self.typing_allowed(frame.active):
            await database_call(commands.typing)(conversation_id, frame)

    async def handle_read(self, frame):
        # The socket does not answer a read receipt; staff hear of it.
        await database_call(commands.read)(self.require_conversation(), frame)

    async def handle_rate(self, frame):
        await self.call(commands.rate, self.require_conversation(), frame)

    async def handle_extend(self, frame):
        await self.call(commands.extend, self.require_conversation(), frame)

    async def handle_leave_queue(self, frame):
        await self.call(commands.leave_queue, self.require_conversation(), frame)

    # ---- channel-layer events

    async def bc_availability(self, event):
        state = availability.DepartmentState.from_event(event["state"])
        await self.send_frame("availability", availability=state.as_payload())

    async def bc_queue(self, event):
        await self.send_frame("queue", queue=consultations.queue_payload(event["queue"]))

    async def bc_deleted(self, event):
        """The conversation was deleted (by the citizen, staff or the purge)."""
        if self.conversation_id is None or self.conversation_id != event["conversation"]:
            return
        await self.channel_layer.group_discard(groups.conversation_citizen(self.conversation_id), self.channel_name)
        self.conversation_id = None
        await self.send_frame("deleted")

    async def bc_state(self, event):
        """The conversation changed (status, department): tell the widget; after a
        transfer the office hours of the new department apply."""
        if self.conversation_id is None:
            return
        department_id = event["department"]
        moved = department_id != self.department_id
        if moved:
            await self.channel_layer.group_discard(groups.availability(self.department_id), self.channel_name)
            await self.channel_layer.group_add(groups.availability(department_id), self.channel_name)
            self.department_id = department_id
        await self.send_frame("conversation", conversation=payloads.localize_conversation(event["conversation"]))
        if moved:
            await self.send_availability()

    async def bc_read(self, event):
        await self.send_frame("read", reader=event["reader"], up_to=event["up_to"])

    async def bc_typing(self, event):
        await self.send_frame("typing", sender=event["sender"], author=event["author"], active=event["active"])
