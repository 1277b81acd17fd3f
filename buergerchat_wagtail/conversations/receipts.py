"""Typing indicators and read receipts, both ways.

Typing is never stored: it is a notification only (clients drop it after a few
seconds). Read receipts are stored as "read up to message id" – per staff user (for
unread counts, ``ReadMarker``) and per conversation and side (what the other side is
shown as "read").
"""

from django.db import IntegrityError, transaction
from django.db.models import Max

from buergerchat_wagtail.conversations import payloads
from buergerchat_wagtail.conversations.visibility import citizen_visible
from buergerchat_wagtail.events import groups
from buergerchat_wagtail.events.broadcasting import group_send
from buergerchat_wagtail.models import Conversation, ReadMarker, SenderType


def _clamp(messages, up_to):
    """``up_to``, but never beyond the last message that exists for this reader."""
    last = messages.filter(pk__lte=up_to).aggregate(last=Max("pk"))["last"]
    return last or 0


def mark_read_by_staff(conversation, user, up_to):
    """``user`` has read ``conversation`` up to message ``up_to``.

    Updates the user's unread marker and, if it moved forward, what the citizen is
    shown as read (then the citizen's sockets are told). Returns the stored id.
    """
    up_to = _clamp(conversation.messages.all(), up_to)
    if not up_to:
        return 0
    if not ReadMarker.objects.filter(user=user, conversation=conversation, last_read_id__lt=up_to).update(
        last_read_id=up_to
    ):
        try:
            with transaction.atomic():
                ReadMarker.objects.get_or_create(user=user, conversation=conversation, defaults={"last_read_id": up_to})
        except IntegrityError:
            pass  # created by a parallel request; its value is at least as recent
    # What the citizen sees as "read": only their own side's messages count.
    visible_up_to = _clamp(citizen_visible(conversation.messages.all()), up_to)
    if visible_up_to and Conversation.objects.filter(pk=conversation.pk, staff_read_up_to__lt=visible_up_to).update(
        staff_read_up_to=visible_up_to
    ):
        conversation.staff_read_up_to = visible_up_to
        transaction.on_commit(
            lambda: group_send(
                groups.conversation_citizen(conversation.pk),
                {"type": "bc.read", "conversation": conversation.pk, "reader": "staff", "up_to": visible_up_to},
            )
        )
    return up_to


def mark_read_by_citizen(conversation, up_to):
    """The citizen has read up to message ``up_to``; the staff who opened the conversation are told."""
    up_to = _clamp(citizen_visible(conversation.messages.all()), up_to)
    if up_to and Conversation.objects.filter(pk=conversation.pk, citizen_read_up_to__lt=up_to).update(
        citizen_read_up_to=up_to
    ):
        conversation.citizen_read_up_to = up_to
        department_id = Conversation.objects.filter(pk=conversation.pk).values_list("department_id", flat=True).first()
        transaction.on_commit(
            lambda: group_send(
                groups.conversation_staff(conversation.pk),
                {
                    "type": "bc.read",
                    "conversation": conversation.pk,
                    "department": department_id,
                    "reader": "citizen",
                    "up_to": up_to,
                },
            )
        )
    return up_to


def typing_by_citizen(conversation, active):
    group_send(
        groups.conversation_staff(conversation.pk),
        {
            "type": "bc.typing",
            "conversation": conversation.pk,
            "department": conversation.department_id,
            "sender": SenderType.CITIZEN.value,
            "author": conversation.citizen_name,  # empty: the consumer says "Citizen" in its language
            "active": active,
        },
    )


def typing_by_staff(conversation, user, active, *, note=False, channel_name=None):
    """A case worker types. Colleagues see the name; the citizen sees what the
    department's setting allows, and nothing at all while a note is being written."""
    event = {
        "type": "bc.typing",
        "conversation": conversation.pk,
        "department": conversation.department_id,
        "sender": SenderType.STAFF.value,
        "active": active,
    }
    group_send(
        groups.conversation_staff(conversation.pk),
        {**event, "author": payloads.staff_display_name(user), "note": note, "channel": channel_name},
    )
    if not note:
        group_send(
            groups.conversation_citizen(conversation.pk),
            {**event, "author": payloads.staff_name_for_citizen(user, conversation.department)},
        )
