"""The domain: start conversations and store messages, then tell the sockets.

Every message is stored before anyone hears of it; the broadcast runs after the
transaction commits. The channel layer is only a notification path (it may drop),
the database is the truth, and clients resync from it by message id.
"""

import logging
import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit, groups, payloads, ratelimit, retention
from .conf import buergerchat_settings
from .models import Conversation, ConversationStatus, Message, SenderType
from .models.attachments import cache_no_attachment
from .models.conversations import hash_secret, new_secret
from .protocol import ProtocolError

logger = logging.getLogger(__name__)


def subject_from_text(text):
    first_line = text.strip().splitlines()[0].strip() if text.strip() else ""
    limit = buergerchat_settings.SUBJECT_LENGTH
    return first_line if len(first_line) <= limit else first_line[: limit - 1].rstrip() + "…"


def start_conversation(*, department, text, name="", email="", privacy_page=None):
    """Open a conversation whose first message is the citizen's concern.

    Returns ``(conversation, secret)``. The secret is shown to the citizen's browser
    once and only its hash is kept.
    """
    secret = new_secret()
    now = timezone.now()
    with transaction.atomic():
        conversation = Conversation.objects.create(
            department=department,
            subject=subject_from_text(text),
            citizen_name=name,
            citizen_email=email,
            secret_hash=hash_secret(secret),
            created_at=now,
            last_activity_at=now,
            waiting_since=now,
            **privacy_fields(privacy_page),
        )
        message = Message.objects.create(
            conversation=conversation, sender=SenderType.CITIZEN, body=text, client_id=uuid.uuid4(), created_at=now
        )
        transaction.on_commit(lambda: broadcast_message(conversation, message, started=True))
        retention.schedule_purge()
    logger.info("conversation %s started in department %s", conversation.pk, department.pk)
    return conversation, secret


def privacy_fields(page):
    """The privacy notice version the citizen confirmed: the page's live revision."""
    if page is None:
        return {}
    revision = page.live_revision
    published = page.last_published_at or (revision.created_at if revision else None)
    version = f"page {page.pk}"
    if revision is not None:
        version += f", revision {revision.pk}"
    if published is not None:
        version += ", " + timezone.localtime(published).strftime("%Y-%m-%d %H:%M")
    return {"privacy_page": page, "privacy_revision": revision, "privacy_version": version}


def post_message(*, conversation, sender, body, client_id, author=None):
    """Store a message once per ``client_id``; returns ``(message, created)``.

    A resend with the same client id stores nothing and returns the stored message
    (broadcast again, in case the first notification was lost).
    The conversation row is locked first, so within one conversation message ids are
    committed in increasing order and a client resyncing "after id N" misses nothing.
    ``conversation`` may be a long-lived copy (a socket's); its fields are refreshed.
    """
    try:
        return _store_message(conversation, sender, body, client_id, author)
    except IntegrityError:
        # Only where row locks do not exist (SQLite in deferred mode): a concurrent
        # resend stored it first.
        existing = Message.objects.select_related("author", "attachment").get(conversation=conversation, client_id=client_id)
        return existing, False


def _store_message(conversation, sender, body, client_id, author):
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().only("status", "waiting_since").filter(pk=conversation.pk).first()
        if locked is None:
            raise ProtocolError("conversation_deleted", _("This conversation has been deleted."), ref=str(client_id))
        # Checked under the lock: a concurrent resend of the same client id waits here.
        existing = list(
            Message.objects.filter(conversation=conversation, client_id=client_id)
            .select_related("author", "attachment")
            .order_by()[:1]
        )
        if not existing:
            # Resends of a stored message never count against the limit.
            ratelimit.check_message(conversation.pk, sender, ref=str(client_id))
            now = timezone.now()
            updates = {"last_activity_at": now}
            if sender == SenderType.CITIZEN:
                if locked.waiting_since is None:
                    updates["waiting_since"] = now
                if locked.status == ConversationStatus.CLOSED:
                    updates["status"] = ConversationStatus.OPEN
                    updates["closed_at"] = None  # retention counts from the next close
            elif sender == SenderType.STAFF:
                if locked.waiting_since is not None:
                    updates["waiting_since"] = None
                if locked.status == ConversationStatus.NEW:
                    updates["status"] = ConversationStatus.OPEN
            Conversation.objects.filter(pk=conversation.pk).update(**updates)
            message = Message.objects.create(
                conversation=conversation, sender=sender, author=author, body=body, client_id=client_id, created_at=now
            )
            conversation.status = updates.get("status", locked.status)
            conversation.waiting_since = updates.get("waiting_since", locked.waiting_since)
            conversation.last_activity_at = now
            if "closed_at" in updates:
                conversation.closed_at = None
            cache_no_attachment(message)  # none yet; payloads built in async code must not query
            if sender == SenderType.STAFF:
                audit.log(conversation, audit.REPLY, user=author, data={"message": message.pk})
            transaction.on_commit(lambda: broadcast_message(conversation, message))
    if existing:
        # A resend means the sender never got its ack; the first broadcast may have been
        # lost with it (worker killed between commit and send). Clients drop duplicates.
        broadcast_message(conversation, existing[0])
        return existing[0], False
    logger.info("message %s (%s) stored in conversation %s", message.pk, sender, conversation.pk)
    return message, True


def messages_after(conversation, after_id=0, limit=None):
    limit = limit or buergerchat_settings.SYNC_BATCH_SIZE
    return list(
        conversation.messages.filter(pk__gt=after_id).select_related("author", "attachment").order_by("pk")[:limit]
    )


def _group_send(group, event):
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:  # noqa: BLE001  (the layer is best effort; clients resync)
        logger.warning("channel layer send to %s failed", group, exc_info=True)


def broadcast_message(conversation, message, started=False):
    """Notify the conversation's sockets and the department's inbox."""
    department_name = conversation.department.name
    for audience, group in (
        (payloads.CITIZEN, groups.conversation_citizen(conversation.pk)),
        (payloads.STAFF, groups.conversation_staff(conversation.pk)),
    ):
        _group_send(
            group,
            {
                "type": "bc.message",
                "conversation": conversation.pk,
                "department": conversation.department_id,
                "message": payloads.message_payload(message, audience, department_name=department_name),
            },
        )
    broadcast_inbox(conversation, message, started=started)


def broadcast_permissions_changed():
    """Tell every staff socket to re-read its rights (group membership changed)."""
    _group_send(groups.STAFF_BROADCAST, {"type": "bc.permissions"})


def broadcast_inbox(conversation, last_message=None, started=False):
    _group_send(
        groups.department(conversation.department_id),
        {
            "type": "bc.conversation",
            "department": conversation.department_id,
            "conversation": payloads.inbox_event_payload(conversation, last_message),
            "started": started,
        },
    )


def close_conversation(conversation, *, user=None):
    """Mark a conversation closed; archive it when its department asks for that.

    Returns True if it was open before. A citizen's next message reopens it.
    """
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().select_related("department").get(pk=conversation.pk)
        if locked.status == ConversationStatus.CLOSED:
            return False
        locked.status = ConversationStatus.CLOSED
        locked.closed_at = timezone.now()  # the retention period starts now
        locked.waiting_since = None
        locked.save(update_fields=["status", "closed_at", "waiting_since"])
        for field in ("status", "closed_at", "waiting_since"):
            setattr(conversation, field, getattr(locked, field))
        audit.log(conversation, audit.CLOSE, user=user)
        if locked.department.archive_on_close:
            from .transcripts import request_archive

            request_archive(locked, user=user)
        transaction.on_commit(lambda: broadcast_inbox(locked))
    logger.info("conversation %s closed by user %s", conversation.pk, getattr(user, "pk", None))
    return True
