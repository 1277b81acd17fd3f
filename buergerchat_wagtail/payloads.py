"""JSON-safe views of conversations and messages, per audience.

Citizens and staff see different things (staff names, internal data), so every
payload is built for one audience: ``"citizen"`` or ``"staff"``.
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from .models import SenderType

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


def message_payload(message, audience, *, department_name=None):
    if department_name is None:
        department_name = message.conversation.department.name
    return {
        "id": message.pk,
        "client_id": str(message.client_id),
        "sender": message.sender,
        "author": author_label(message, audience, department_name),
        "body": message.body,
        "created_at": _iso(message.created_at),
    }


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
        body = last_message.body
        data["last_message"] = body if len(body) <= PREVIEW_LENGTH else body[: PREVIEW_LENGTH - 1] + "…"
    data["updated_at"] = _iso(timezone.now())
    return data
