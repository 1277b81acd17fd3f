"""The case worker's socket in the Wagtail admin: inbox events of their departments
and the conversations they open. Rights are read afresh before every action and at
least every ``PERMISSION_RECHECK_SECONDS`` for live events; a socket without rights
is closed (4401 not logged in, 4403 forbidden)."""

import asyncio
import logging
import time

from django.db import DatabaseError
from django.utils import translation
from django.utils.translation import gettext as _

from buergerchat_wagtail.availability import presence
from buergerchat_wagtail.availability import state as availability
from buergerchat_wagtail.casework import assignment, idle
from buergerchat_wagtail.commands import staff as commands
from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.conversations import notifications, payloads
from buergerchat_wagtail.conversations.permissions import conversation_permission_policy, fresh_user_permissions
from buergerchat_wagtail.events import groups
from buergerchat_wagtail.protocol.frames import STAFF_FRAMES
from buergerchat_wagtail.realtime.consumers.base import BaseChatConsumer
from buergerchat_wagtail.realtime.db_calls import database_call

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
PERMISSION_RECHECK_SECONDS = 30


class StaffConsumer(BaseChatConsumer):
    """A case worker in the Wagtail admin: inbox events of their departments and
    the conversations they open. Permissions are checked again on every action."""

    frame_types = STAFF_FRAMES
    audience = payloads.STAFF

    async def connect(self):
        self.user = self.scope.get("user")
        self.department_ids = frozenset()
        self.subscriptions = {}  # conversation id -> department id
        self.watched_teams = set()  # department ids whose team board this socket shows
        self.inbox_pending = {}  # conversation id -> (inbox payload, started), see bc_conversation
        self.inbox_flush = None
        self.closed = False
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
        assignment.presence_changed(self.user)

    def _unregister_presence(self):
        presence.unregister(self.channel_name, self.user)
        assignment.presence_changed(self.user)

    async def handle_ping(self, frame):
        await self.rejoin_groups()
        await database_call(idle.schedule_idle_close)()
        await database_call(notifications.schedule_sweep)()
        await database_call(assignment.schedule_balance)()
        if getattr(self, "present", False):
            recreated = await database_call(presence.heartbeat)(self.channel_name, self.user)
            if recreated:
                await database_call(assignment.presence_changed)(self.user)
        await self.send_frame("pong")

    def _may_use_inbox(self):
        return self.user.has_perm("wagtailadmin.access_admin") and conversation_permission_policy.user_has_permission(
            self.user, "view"
        )

    async def disconnect(self, code):
        self.closed = True
        if getattr(self, "inbox_flush", None) is not None:
            self.inbox_flush.cancel()
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
        for department_id in getattr(self, "watched_teams", ()):
            await self.channel_layer.group_discard(groups.team(department_id), self.channel_name)

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

    async def handle_subscribe(self, frame):
        await self.refresh_permissions(force=True)
        found = await database_call(commands.conversation)(self.user, frame.conversation, "view")
        self.subscriptions[found.pk] = found.department_id
        # Join, then read: a message stored in between arrives twice, never zero times
        # (the admin drops duplicates by id).
        await self.channel_layer.group_add(groups.conversation_staff(found.pk), self.channel_name)
        await self.call(commands.subscribe, self.user, frame)

    async def handle_unsubscribe(self, frame):
        if self.subscriptions.pop(frame.conversation, None) is not None:
            await self.channel_layer.group_discard(groups.conversation_staff(frame.conversation), self.channel_name)
        await self.send_frame("unsubscribed", conversation=frame.conversation)

    async def handle_watch_team(self, frame):
        await self.refresh_permissions(force=True)
        answer = await database_call(commands.watch_team)(self.user, frame)
        self.watched_teams.add(frame.department)
        await self.channel_layer.group_add(groups.team(frame.department), self.channel_name)
        await self.send_json(answer)

    async def rejoin_groups(self):
        for department_id in self.watched_teams:
            await self.channel_layer.group_add(groups.team(department_id), self.channel_name)
        await self.channel_layer.group_add(groups.STAFF_BROADCAST, self.channel_name)
        for department_id in self.department_ids:
            await self.channel_layer.group_add(groups.department(department_id), self.channel_name)
        for conversation_id in self.subscriptions:
            await self.channel_layer.group_add(groups.conversation_staff(conversation_id), self.channel_name)

    async def handle_sync(self, frame):
        await self.refresh_permissions(force=True)
        await self.rejoin_groups()
        await database_call(notifications.schedule_sweep)()
        await self.call(commands.sync, self.user, frame)

    async def run(self, command, frame, **kwargs):
        """A command on one conversation, after the rights were read afresh (an action
        is checked again by the domain on the locked row)."""
        await self.refresh_permissions(force=True)
        await self.call(command, self.user, frame, **kwargs)

    async def handle_message(self, frame):
        await self.run(commands.send, frame)

    async def handle_note(self, frame):
        await self.run(commands.note, frame)

    async def handle_typing(self, frame):
        await self.refresh_permissions(force=True)
        notify = self.typing_allowed(frame.active)
        await database_call(commands.typing)(self.user, frame, channel_name=self.channel_name, notify=notify)

    async def handle_read(self, frame):
        # The socket does not answer a read receipt; the citizen hears of it.
        await self.refresh_permissions(force=True)
        await database_call(commands.read)(self.user, frame)

    async def handle_take(self, frame):
        await self.run(commands.take, frame)

    async def handle_assign(self, frame):
        await self.run(commands.assign, frame)

    async def handle_transfer(self, frame):
        await self.run(commands.transfer, frame)

    async def handle_status(self, frame):
        await self.run(commands.set_status, frame)

    async def handle_tags(self, frame):
        await self.run(commands.change_tags, frame)

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
        """An inbox update. Collected for ``INBOX_COALESCE_MS``: a burst goes out as one
        ``conversations`` frame (the latest state of each conversation, in order of
        change); a lone update as a ``conversation`` frame, as without the window."""
        await self.refresh_permissions()
        if event["department"] not in self.department_ids:
            return
        conversation = event["conversation"]
        window = buergerchat_settings.INBOX_COALESCE_MS
        if not window:
            await self.send_frame(
                "conversation", conversation=payloads.localize_conversation(conversation), started=event.get("started", False)
            )
            return
        pending = self.inbox_pending
        previous = pending.pop(conversation["id"], None)
        # A new conversation stays "started" when it changes again within the window.
        pending[conversation["id"]] = (conversation, event.get("started", False) or bool(previous and previous[1]))
        if self.inbox_flush is None:
            self.inbox_flush = asyncio.get_running_loop().call_later(
                window / 1000, lambda: asyncio.ensure_future(self.flush_inbox())
            )

    async def bc_conversations(self, event):
        """A burst of inbox updates, already coalesced by the sending worker
        (events/broadcasting.py): passed on at once, in one frame."""
        await self.refresh_permissions()
        if event["department"] not in self.department_ids:
            return
        items = [
            {"conversation": payloads.localize_conversation(item["conversation"]), "started": item["started"]}
            for item in event["conversations"]
        ]
        if len(items) == 1:
            await self.send_frame("conversation", **items[0])
        else:
            await self.send_frame("conversations", conversations=items)

    async def flush_inbox(self):
        self.inbox_flush = None
        pending, self.inbox_pending = self.inbox_pending, {}
        if not pending or self.closed:
            return
        with translation.override(self.language):
            items = [
                {"conversation": payloads.localize_conversation(conversation), "started": started}
                for conversation, started in pending.values()
            ]
            if len(items) == 1:
                await self.send_frame("conversation", **items[0])
            else:
                await self.send_frame("conversations", conversations=items)

    async def bc_availability(self, event):
        await self.refresh_permissions()
        if event["department"] not in self.department_ids:
            return
        state = availability.DepartmentState.from_event(event["state"])
        await self.send_frame("availability", availability=state.as_payload())

    async def bc_presence(self, event):
        """A colleague came, left or switched "away" (the team board reloads). Only for
        sockets that watch the team and still belong to the department (the frame
        carries its id only)."""
        if event["department"] not in self.watched_teams:
            return
        await self.refresh_permissions()
        if event["department"] not in self.department_ids:
            return
        await self.send_frame("presence", department=event["department"])

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
