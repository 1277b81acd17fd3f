"""Data subject rights: access (Art. 15 GDPR, export) and erasure (Art. 17).

The export is one JSON document per conversation, built for an audience: the
citizen (``payloads.CITIZEN``) downloads it from the widget, staff download it from
the admin for an access request. Later data types add *sections* without changing
this module::

    from buergerchat_wagtail.rights import register_export_section

    @register_export_section("attachments")
    def attachments_section(conversation, audience, request):
        return [{"name": ..., "size": ..., "sha256": ..., "url": ...}]

The document already has the keys ``attachments`` and ``documents`` (empty lists):
attachments and the PDF transcript (``{"type": "transcript", "format": "pdf", "url": ...}``)
are filled in by those sections once they exist.
"""

import logging

from django.db import transaction
from django.utils import timezone

from . import audit, payloads, retention
from .visibility import citizen_visible

logger = logging.getLogger(__name__)

EXPORT_FORMAT = "buergerchat-export/1"

_sections = {}


def register_export_section(name):
    """Decorator for ``fn(conversation, audience, request) -> JSON-safe value``."""

    def decorator(fn):
        _sections[name] = fn
        return fn

    return decorator


def unregister_export_section(name):
    _sections.pop(name, None)


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
        retention_days=retention.retention_days(conversation.department),
        rating=conversation.rating,
        rating_comment=conversation.rating_comment,
        rated_at=_iso(conversation.rated_at),
    )
    # Internal notes and internal events (issue 5) are the department's working notes,
    # not data the citizen gave or received: left out of both exports (one rule,
    # visibility.citizen_visible; see docs/data-protection.md).
    messages = citizen_visible(conversation.messages.all()).select_related("author", "conversation").order_by("pk")
    document = {
        "format": EXPORT_FORMAT,
        "exported_at": _iso(timezone.now()),
        "conversation": conversation_data,
        "messages": [payloads.message_payload(m, audience, department=conversation.department) for m in messages],
        "attachments": [],
        "documents": [],
    }
    for name, section in _sections.items():
        document[name] = section(conversation, audience, request)
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
    if conversation.department.archive_before_purge and not retention.is_archived(conversation):
        from .workflow import close_on_erasure_request

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
