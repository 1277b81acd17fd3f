"""JSON-safe views of conversations and messages, per audience.

Citizens and staff see different things (staff names, internal data), so every
payload is built for one audience: ``"citizen"`` or ``"staff"``. A citizen payload
is never built for an internal message (see visibility.py).
"""

from django.core.exceptions import ObjectDoesNotExist
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from buergerchat_wagtail.conversations import formatting, system_events
from buergerchat_wagtail.conversations.visibility import citizen_visible
from buergerchat_wagtail.models import ConversationStatus, SenderType, StaffNameDisplay
from buergerchat_wagtail.models.filetypes import mime_type

CITIZEN = "citizen"
STAFF = "staff"
PREVIEW_LENGTH = 120


def _iso(value):
    return value.isoformat() if value else None


def staff_display_name(user):
    """A colleague's name as staff see it."""
    if user is None:
        return _("Former staff member")
    return user.get_full_name() or user.get_username()


def staff_name_for_citizen(user, department):
    """A case worker's name as citizens see it: the department's setting decides
    (full name, first name or the department only). Never the user name."""
    setting = department.staff_name_display
    if user is not None and setting == StaffNameDisplay.FULL and user.get_full_name():
        return user.get_full_name()
    if user is not None and setting == StaffNameDisplay.FIRST and user.first_name.strip():
        return user.first_name.strip()
    return department.name


def author_label(message, audience, department):
    if message.sender == SenderType.CITIZEN:
        if audience == CITIZEN:
            return _("You")
        return message.conversation.citizen_name or _("Citizen")
    if message.sender == SenderType.STAFF:
        if audience == CITIZEN:
            return staff_name_for_citizen(message.author, department)
        return staff_display_name(message.author)
    return department.name


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
        "status_label": attachment.status_label,
        "malware_checked": attachment.malware_checked,
        "sha256": attachment.sha256,
    }
    if audience == CITIZEN:
        data["url"] = reverse("buergerchat:buergerchat-api:download_attachment", args=[attachment.pk])
    else:
        data["url"] = reverse("buergerchat_inbox:attachment", args=[attachment.pk])
    data["thumbnail"] = thumbnail_payload(attachment, audience) if attachment.has_thumbnail else None
    return data


def thumbnail_payload(attachment, audience):
    """A released image's preview: fetched like the file (citizens with the secret header)."""
    if audience == CITIZEN:
        url = reverse("buergerchat:buergerchat-api:attachment_thumbnail", args=[attachment.pk])
    else:
        url = reverse("buergerchat_inbox:attachment_thumbnail", args=[attachment.pk])
    return {"url": url, "width": attachment.thumbnail_width, "height": attachment.thumbnail_height}


def message_payload(message, audience, *, department=None):
    """``department``: the conversation's department, passed by callers that have it
    (saves a query; needed for how staff names are shown to citizens)."""
    if audience == CITIZEN and message.internal:
        raise ValueError(f"message {message.pk} is internal and must never reach a citizen")
    if department is None:
        department = message.conversation.department
    attachment = message_attachment(message)
    data = {
        "id": message.pk,
        "client_id": str(message.client_id),
        "sender": message.sender,
        "author": author_label(message, audience, department),
        "body": message.body,
        # How the body is shown (links, line breaks, lists): the one parse, see formatting.py.
        "blocks": None if message.event else formatting.parse(message.body),
        "created_at": _iso(message.created_at),
        "attachment": attachment_payload(attachment, audience) if attachment is not None else None,
    }
    if audience == STAFF:
        data["internal"] = message.internal
    if message.event:
        data["event"] = message.event
        data["event_data"] = event_data(message, audience)
        data["body"] = display_body(message, audience)
    return data


def event_data(message, audience):
    if audience == STAFF:
        return message.event_data
    return system_events.citizen_data(message.event, message.event_data)


def display_body(message, audience):
    """The text shown for ``message``: system events rendered for the audience and language."""
    if not message.event:
        return message.body
    return system_events.text(message.event, event_data(message, audience), audience, fallback=message.body)


def localize_message(data, audience):
    """Re-render the translatable parts of a message payload in the active language
    (a broadcast is built once, each socket speaks its own language)."""
    if data.get("event"):
        data = {**data, "body": system_events.text(data["event"], data.get("event_data"), audience, fallback=data["body"])}
    return data


def preview_text(body, attachment_name=None):
    """Inbox preview of a message: its text, else the attached file's name."""
    text = body or (f"📎 {attachment_name}" if attachment_name else "")
    return text if len(text) <= PREVIEW_LENGTH else text[: PREVIEW_LENGTH - 1] + "…"


def messages_payload(messages, audience, conversation):
    if audience == CITIZEN:
        messages = citizen_visible(messages)
    department = conversation.department
    return [message_payload(m, audience, department=department) for m in messages]


def _status_label(status):
    try:
        return str(ConversationStatus(status).label)
    except ValueError:
        return status


def conversation_payload(conversation, audience):
    data = {
        "reference": conversation.reference,
        "subject": conversation.subject,
        "status": conversation.status,
        "status_label": _status_label(conversation.status),
        "department": conversation.department.name,
        "created_at": _iso(conversation.created_at),
        "rating": conversation.rating,
    }
    if audience == CITIZEN:
        data.update(
            greeting=conversation.department.greeting,
            accepts_messages=conversation.accepts_citizen_messages(timezone.now()),
            reopen_until=_iso(conversation.reopen_deadline),
            can_rate=conversation.status == ConversationStatus.CLOSED and conversation.rating is None,
            read_by_staff_up_to=conversation.staff_read_up_to,
            idle_close_minutes=conversation.department.idle_close_minutes,
            idle_close_at=_iso(conversation.idle_close_at),
        )
    else:
        assignee = conversation.assignee if conversation.assignee_id else None
        data.update(
            id=conversation.pk,
            department_id=conversation.department_id,
            citizen_name=conversation.citizen_name,
            last_activity_at=_iso(conversation.last_activity_at),
            waiting_since=_iso(conversation.waiting_since),
            assignee={"id": assignee.pk, "name": staff_display_name(assignee)} if assignee else None,
            first_response_at=_iso(conversation.first_response_at),
            closed_at=_iso(conversation.closed_at),
            rating_comment=conversation.rating_comment,
            read_by_citizen_up_to=conversation.citizen_read_up_to,
        )
    return data


def localize_conversation(data):
    return {**data, "status_label": _status_label(data["status"])}


def inbox_event_payload(conversation, last_message=None):
    """Summary sent to the department's staff sockets when a conversation changes."""
    data = conversation_payload(conversation, STAFF)
    if last_message is not None:
        attachment = message_attachment(last_message)
        data["last_message"] = preview_text(last_message.body, attachment.name if attachment else None)
    data["updated_at"] = _iso(timezone.now())
    return data
