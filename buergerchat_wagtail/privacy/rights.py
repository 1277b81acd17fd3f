"""Data subject rights: access (Art. 15 GDPR, export) and erasure (Art. 17).

The export is one JSON document per conversation, built for an audience: the
citizen (``payloads.CITIZEN``) downloads it from the widget, staff download it from
the admin for an access request. Attachments and the PDF transcript come from
``files.export``.
"""

import logging

from django.db import transaction
from django.utils import timezone

from buergerchat_wagtail.casework.workflow import close_on_erasure_request
from buergerchat_wagtail.conversations import audit, payloads
from buergerchat_wagtail.conversations.visibility import citizen_visible
from buergerchat_wagtail.files import cleanup as files_cleanup
from buergerchat_wagtail.files import export as files_export
from buergerchat_wagtail.privacy import retention

logger = logging.getLogger(__name__)

EXPORT_FORMAT = "buergerchat-export/1"

def _iso(value):
    return value.isoformat() if value else None


def export_document(conversation, audience, request=None):
    """Everything stored about one conversation, for ``audience``."""
    conversation_data = payloads.conversation_payload(conversation, audience)
    conversation_data.update(
        citizen_name=conversation.citizen_name,
        citizen_email=conversation.citizen_email,
        closed_at=_iso(conversation.closed_at),
        last_activity_at=_iso(conversation.last_activity_at),
        privacy_notice_version=conversation.privacy_version,
        retention_days=conversation.department.retention_period_days,
        rating=conversation.rating,
        rating_comment=conversation.rating_comment,
        rated_at=_iso(conversation.rated_at),
    )
    # Internal notes and internal events are the department's working notes,
    # not data the citizen gave or received: left out of both exports (one rule,
    # visibility.citizen_visible; see docs/data-protection.md).
    messages = citizen_visible(conversation.messages.all()).select_related("author", "conversation").order_by("pk")
    document = {
        "format": EXPORT_FORMAT,
        "exported_at": _iso(timezone.now()),
        "conversation": conversation_data,
        "messages": [payloads.message_payload(m, audience, department=conversation.department) for m in messages],
        "attachments": files_export.attachments_section(conversation, audience, request),
        "documents": files_export.documents_section(conversation, audience, request),
    }
    return document


def export_filename(conversation):
    return f"buergerchat-{conversation.reference}.json"


def citizen_requests_erasure(conversation):
    """The citizen asks to delete their conversation.

    Without a records duty the conversation is deleted at once. If the department
    requires an archive before deletion and none exists yet, the request is recorded,
    the conversation is closed and staff erase it after archiving.
    Returns ``"erased"`` or ``"requested"``.
    """
    if conversation.department.archive_before_purge and not files_cleanup.is_archived(conversation):
        with transaction.atomic():
            close_on_erasure_request(conversation)
            audit.log(conversation, audit.ERASURE_REQUEST)
        logger.info("erasure of conversation %s requested by the citizen", conversation.pk)
        return "requested"
    retention.delete_conversation(conversation, action=audit.CITIZEN_ERASE)
    return "erased"


def staff_erase(conversation, *, user):
    """Art. 17 erasure by a case worker (the caller has checked the permission)."""
    return retention.delete_conversation(conversation, user=user, action=audit.ERASE)
