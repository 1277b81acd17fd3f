"""JSON-safe views of conversations and messages, per audience.

Citizens and staff see different things (staff names, internal data), so every
payload is built for one audience: ``"citizen"`` or ``"staff"``.
"""

from django.core.exceptions import ObjectDoesNotExist
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import SenderType
from .models.filetypes import mime_type

CITIZEN = "citizen"
STAFF = "staff"
PREVIEW_LENGTH = 120


def _iso(value):
    return value.isoformat() if value else None


def staff_display_name(user):
    if user is None:
        return _("Former staff member")
    return user.get_full_name() or user.get_username()


def author_label(message, audience, department_name):
    if message.sender == SenderType.CITIZEN:
        if audience == CITIZEN:
            return _("You")
        return message.conversation.citizen_name or _("Citizen")
    if message.sender == SenderType.STAFF:
        if audience == CITIZEN:
            return department_name
        return staff_display_name(message.author)
    return department_name


def message_attachment(message):
    """The message's attachment, or ``None`` (without a query when it was prefetched)."""
    try:
        return message.attachment
    except ObjectDoesNotExist:
        return None


def attachment_payload(attachment, audience):
    data = {
        "id": attachment.pk,
        "name": attachment.name,
        "size": attachment.size,
        "content_type": mime_type(attachment.file_type),
        "status": attachment.status,
        "status_label": attachment.get_status_display(),
        "sha256": attachment.sha256,
    }
    if audience == CITIZEN:
        data["url"] = reverse("buergerchat:buergerchat-api:download_attachment", args=[attachment.pk])
    else:
        data["url"] = reverse("buergerchat_inbox:attachment", args=[attachment.pk])
    return data


def message_payload(message, audience, *, department_name=None):
    if department_name is None:
        department_name = message.conversation.department.name
    attachment = message_attachment(message)
    return {
        "id": message.pk,
        "client_id": str(message.client_id),
        "sender": message.sender,
        "author": author_label(message, audience, department_name),
        "body": message.body,
        "created_at": _iso(message.created_at),
        "attachment": attachment_payload(attachment, audience) if attachment is not None else None,
    }


def preview_text(body, attachment_name=None):
    """Inbox preview of a message: its text, else the attached file's name."""
    text = body or (f"📎 {attachment_name}" if attachment_name else "")
    return text if len(text) <= PREVIEW_LENGTH else text[: PREVIEW_LENGTH - 1] + "…"


def messages_payload(messages, audience, conversation):
    name = conversation.department.name
    return [message_payload(m, audience, department_name=name) for m in messages]


def conversation_payload(conversation, audience):
    data = {
        "reference": conversation.reference,
        "subject": conversation.subject,
        "status": conversation.status,
        "status_label": conversation.get_status_display(),
        "department": conversation.department.name,
        "created_at": _iso(conversation.created_at),
    }
    if audience == CITIZEN:
        data["greeting"] = conversation.department.greeting
    else:
        data.update(
            id=conversation.pk,
            department_id=conversation.department_id,
            citizen_name=conversation.citizen_name,
            last_activity_at=_iso(conversation.last_activity_at),
            waiting_since=_iso(conversation.waiting_since),
        )
    return data


def inbox_event_payload(conversation, last_message=None):
    """Summary sent to the department's staff sockets when a conversation changes."""
    data = conversation_payload(conversation, STAFF)
    if last_message is not None:
        attachment = message_attachment(last_message)
        data["last_message"] = preview_text(last_message.body, attachment.name if attachment else None)
    data["updated_at"] = _iso(timezone.now())
    return data
