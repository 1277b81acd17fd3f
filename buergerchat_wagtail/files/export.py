"""The files' part of the data subject access export (Art. 15 GDPR): attachments and
PDF transcripts, with the URL the audience downloads them from."""

from django.urls import reverse

from buergerchat_wagtail.conversations import payloads
from buergerchat_wagtail.models import Attachment, Transcript, TranscriptKind


def _iso(value):
    return value.isoformat() if value else None


def attachments_section(conversation, audience, request):
    attachments = Attachment.objects.filter(conversation=conversation).order_by("pk")
    section = []
    for attachment in attachments:
        entry = {
            "id": attachment.pk,
            "message": attachment.message_id,
            "name": attachment.name,
            "type": attachment.file_type,
            "size": attachment.size,
            "sha256": attachment.sha256,
            "status": attachment.status,
            "uploaded_at": _iso(attachment.created_at) if hasattr(attachment, "created_at") else None,
            "url": None,
        }
        if attachment.is_available:
            if audience == payloads.CITIZEN:
                path = reverse("buergerchat:buergerchat-api:download_attachment", args=[attachment.pk])
            else:
                path = reverse("buergerchat_inbox:attachment", args=[attachment.pk])
            entry["url"] = request.build_absolute_uri(path) if request is not None else path
        section.append(entry)
    return section


def documents_section(conversation, audience, request):
    """The PDF transcript: the citizen's own copy (the citizen) or also the archived
    records (staff). The citizen's copy is fetched from its URL (rendered on demand)."""
    documents = []
    if audience == payloads.CITIZEN:
        path = reverse("buergerchat:buergerchat-api:citizen_transcript")
        documents.append(
            {
                "type": "transcript",
                "format": "pdf",
                "url": request.build_absolute_uri(path) if request is not None else path,
            }
        )
        return documents
    for transcript in Transcript.objects.filter(conversation=conversation, kind=TranscriptKind.ARCHIVE).order_by("pk"):
        path = reverse("buergerchat_archive:download", args=[transcript.pk])
        documents.append(
            {
                "type": "archived_transcript",
                "format": "pdf",
                "created_at": _iso(transcript.created_at),
                "size": transcript.size,
                "sha256": transcript.sha256,
                "url": request.build_absolute_uri(path) if request is not None else path,
            }
        )
    return documents
