"""The domain: start conversations and store messages, then tell the sockets.

Every message is stored before anyone hears of it; the broadcast runs after the
transaction commits. The channel layer is only a notification path (it may drop),
the database is the truth, and clients resync from it by message id.
"""

import logging
import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.conversations import audit, payloads, ratelimit, statements, system_events
from buergerchat_wagtail.conversations.visibility import citizen_visible
from buergerchat_wagtail.events import groups
from buergerchat_wagtail.events.broadcasting import group_send
from buergerchat_wagtail.models import Conversation, ConversationStatus, Message, SenderType
from buergerchat_wagtail.models.attachments import cache_no_attachment
from buergerchat_wagtail.models.conversations import hash_secret, new_secret
from buergerchat_wagtail.protocol.frames import ProtocolError

logger = logging.getLogger(__name__)


def subject_from_text(text):
    first_line = text.strip().splitlines()[0].strip() if text.strip() else ""
    limit = buergerchat_settings.SUBJECT_LENGTH
    return first_line if len(first_line) <= limit else first_line[: limit - 1].rstrip() + "…"


def start_conversation(*, department, text, name="", email="", privacy_page=None, subject_prefix=""):
    """Open a conversation whose first message is the citizen's concern.

    The subject is the concern's first line; a topic's subject (``subject_prefix``)
    is put in front of it.

    Returns ``(conversation, secret)``. The secret is shown to the citizen's browser
    once and only its hash is kept.
    """
    secret = new_secret()
    now = timezone.now()
    with transaction.atomic():
        conversation = Conversation.objects.create(
            department=department,
            subject=subject_from_text(f"{subject_prefix}: {text.strip()}" if subject_prefix else text),
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


def post_message(*, conversation, sender, body, client_id, author=None, internal=False):
    """Store a message once per ``client_id``; returns ``(message, created)``.

    A resend with the same client id stores nothing and returns the stored message
    (broadcast again, in case the first notification was lost).
    The conversation row is locked first, so within one conversation message ids are
    committed in increasing order and a client resyncing "after id N" misses nothing.
    ``conversation``: the conversation (it may be a long-lived copy, a socket's) or its
    id; the returned message's ``conversation`` is the fresh copy read under the lock,
    department included.

    ``internal=True`` stores a staff note: staff see it, the citizen never does, and it
    changes neither the status nor who is waiting. A citizen's message reopens a closed
    conversation within the department's reopen window; after it, the message is refused
    with ``conversation_closed`` (nothing is stored).
    """
    if internal and sender != SenderType.STAFF:
        raise ValueError("only staff write internal notes")
    try:
        return _store_message(conversation, sender, body, client_id, author, internal)
    except IntegrityError:
        # Only where row locks do not exist (SQLite in deferred mode): a concurrent
        # resend stored it first.
        conversation_id = conversation if isinstance(conversation, int) else conversation.pk
        existing = Message.objects.select_related("author", "attachment", "conversation__department").get(
            conversation_id=conversation_id, client_id=client_id
        )
        return existing, False


def _store_message(conversation, sender, body, client_id, author, internal):
    conversation_id = conversation if isinstance(conversation, int) else conversation.pk
    with transaction.atomic():
        # Lock first: within a conversation, message ids commit in increasing order.
        locked = statements.LOCK_CONVERSATION.fetch(conversation_id)
        if locked is None:
            raise ProtocolError("conversation_deleted", _("This conversation has been deleted."), ref=str(client_id))
        now = timezone.now()
        message = Message(
            conversation=locked,
            sender=sender,
            author=author,
            body=body,
            client_id=client_id,
            created_at=now,
            internal=internal,
        )
        # Idempotency by the unique constraint (conversation, client id): a resend inserts
        # nothing. A refusal below rolls the insert back with the transaction.
        created = statements.insert_unless_stored(message)
        if created:
            # Resends of a stored message never count against the limit.
            ratelimit.check_message(conversation_id, sender, ref=str(client_id))
            locked.last_activity_at = now
            events = []
            status_changed = False
            if internal:
                pass
            elif sender == SenderType.CITIZEN:
                if locked.status == ConversationStatus.CLOSED:
                    if not locked.accepts_citizen_messages(now):
                        raise ProtocolError(
                            "conversation_closed",
                            _("This conversation has been closed. Please start a new conversation."),
                            ref=str(client_id),
                        )
                    locked.status = ConversationStatus.OPEN
                    locked.closed_at = None
                    status_changed = True
                    events.append((system_events.REOPENED, {"by_citizen": True}))
                elif locked.status == ConversationStatus.WAITING:
                    locked.status = ConversationStatus.OPEN
                    status_changed = True
                if locked.waiting_since is None:
                    locked.waiting_since = now
                locked.idle_since = None  # the citizen is active: no idle close
            elif sender == SenderType.STAFF:
                locked.waiting_since = None
                locked.idle_since = now  # the idle close counts from the answer (idle.py)
                if locked.first_response_at is None:
                    locked.first_response_at = now
                if locked.status == ConversationStatus.NEW:
                    locked.status = ConversationStatus.OPEN
                    status_changed = True
            statements.update_fields(
                locked, ["last_activity_at", "waiting_since", "status", "closed_at", "first_response_at", "idle_since"]
            )
            cache_no_attachment(message)  # none yet; payloads built in async code must not query
            if sender == SenderType.STAFF:
                audit.log(locked, audit.REPLY, user=author, data={"message": message.pk})
            stored = [message] + [system_message(locked, event, data, created_at=now) for event, data in events]
            transaction.on_commit(lambda: broadcast(locked, stored, citizen_state=status_changed))
        else:
            message = (
                Message.objects.select_related("author", "attachment")
                .filter(conversation_id=conversation_id, client_id=client_id)
                .order_by()
                .first()
            )
            message.conversation = locked
    if not created:
        # A resend means the sender never got its ack; the first broadcast may have been
        # lost with it (worker killed between commit and send). Clients drop duplicates.
        broadcast_message(locked, message)
        return message, False
    logger.info(
        "message %s (%s%s) stored in conversation %s", message.pk, sender, ", internal" if internal else "", conversation_id
    )
    return message, True


def system_message(conversation, event, data, *, created_at=None):
    """Store a system message for ``event`` (see system_events.py) inside the caller's transaction.

    Its ``body`` keeps the text in the site's language (for search and records); clients
    get it rendered per audience and language from ``event`` and ``event_data``.
    """
    audience = payloads.STAFF if system_events.is_internal(event) else payloads.CITIZEN
    with translation.override(settings.LANGUAGE_CODE):
        body = system_events.text(event, data, audience) or event
    message = Message.objects.create(
        conversation=conversation,
        sender=SenderType.SYSTEM,
        body=body,
        client_id=uuid.uuid4(),
        created_at=created_at or timezone.now(),
        internal=system_events.is_internal(event),
        event=event,
        event_data=data,
    )
    return cache_no_attachment(message)  # payloads built in async code must not query


def messages_after(conversation, after_id=0, limit=None):
    """Staff view: every message after ``after_id``, internal ones included."""
    limit = limit or buergerchat_settings.SYNC_BATCH_SIZE
    return list(
        conversation.messages.filter(pk__gt=after_id).select_related("author", "attachment").order_by("pk")[:limit]
    )


def citizen_messages_after(conversation, after_id=0, limit=None):
    """Citizen view: the citizen-visible messages after ``after_id`` (never a note)."""
    limit = limit or buergerchat_settings.SYNC_BATCH_SIZE
    return list(
        citizen_visible(conversation.messages.filter(pk__gt=after_id))
        .select_related("author", "attachment")
        .order_by("pk")[:limit]
    )


def broadcast_message(conversation, message, started=False):
    """Notify the conversation's sockets and the department's inbox of one message
    (``started``: it is the first of a new conversation)."""
    broadcast(conversation, [message], started=started)


def broadcast(conversation, messages=(), *, citizen_state=False, departments=None, transfer=None, started=False):
    """Tell every socket that should know: the citizen (citizen-visible messages and,
    with ``citizen_state``, the new conversation state), the staff who opened the
    conversation, and the inbox of the department (or of ``departments``, ids).
    ``transfer=(source, target)`` also tells the staff who opened the conversation,
    in either department, that it moved. ``started`` marks the inbox event of a new
    conversation."""
    department = conversation.department
    citizen_group = groups.conversation_citizen(conversation.pk)
    staff_group = groups.conversation_staff(conversation.pk)
    visible = {m.pk for m in citizen_visible(messages)}
    for message in messages:
        event = {"type": "bc.message", "conversation": conversation.pk, "department": conversation.department_id}
        if message.pk in visible:
            group_send(
                citizen_group,
                {**event, "message": payloads.message_payload(message, payloads.CITIZEN, department=department)},
            )
        group_send(staff_group, {**event, "message": payloads.message_payload(message, payloads.STAFF, department=department)})
    if transfer is not None:
        source, target = transfer
        group_send(
            staff_group,
            {
                "type": "bc.transferred",
                "conversation": conversation.pk,
                "from_department": {"id": source.pk, "name": source.name},
                "to_department": {"id": target.pk, "name": target.name},
                "message": payloads.message_payload(messages[-1], payloads.STAFF, department=department),
            },
        )
    if citizen_state:
        group_send(
            citizen_group,
            {
                "type": "bc.state",
                "conversation": payloads.conversation_payload(conversation, payloads.CITIZEN),
                "department": conversation.department_id,
            },
        )
    last = next((m for m in reversed(list(messages)) if m.sender != SenderType.SYSTEM), None)
    broadcast_inbox(conversation, last, departments=departments, started=started)


def broadcast_permissions_changed():
    """Tell every staff socket to re-read its rights (group membership changed)."""
    group_send(groups.STAFF_BROADCAST, {"type": "bc.permissions"})


def broadcast_inbox(conversation, last_message=None, *, departments=None, started=False):
    """The inbox summary to the department's staff sockets (or to each of ``departments``:
    after a transfer, the old department learns that the conversation left).
    ``started``: a new conversation (staff may be notified of it)."""
    payload = payloads.inbox_event_payload(conversation, last_message)
    for department_id in departments or (conversation.department_id,):
        group_send(
            groups.department(department_id),
            {"type": "bc.conversation", "department": department_id, "conversation": payload, "started": started},
        )
