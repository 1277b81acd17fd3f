"""Issue 4's files under issue 6's data protection: retention cleanups, the archive
predicate, export sections and the key rotation of the private files.

Imported once in ``BuergerchatConfig.ready`` so the purge command, the rotation
command and the views all see the same hooks. Attachment and transcript rows take
their files along through the ``post_delete`` handlers in signal_handlers.py (after
the commit), so the cleanups here only decide *what* is deleted and count it.
"""

from django.urls import reverse

from buergerchat_wagtail import crypto
from buergerchat_wagtail.conversations import payloads
from buergerchat_wagtail.privacy import retention, rights
from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.models import Attachment, Transcript, TranscriptKind
from buergerchat_wagtail.files.storage import private_storage


def is_archived(conversation):
    return conversation.transcripts.archived().exists()


# --------------------------------------------------------------------------- retention


def delete_attachments(conversation, *, dry_run, purge):
    # Rows cascade with the conversation; their files go with them (post_delete).
    return Attachment.objects.filter(conversation=conversation).count()


def delete_citizen_transcripts(conversation, *, dry_run, purge):
    """The citizen's copies are a cache of the conversation: always deleted with it."""
    copies = list(Transcript.objects.filter(conversation=conversation, kind=TranscriptKind.CITIZEN))
    if not dry_run:
        for transcript in copies:
            transcript.delete()  # the file follows after the commit
    return len(copies)


def delete_archived_transcripts(conversation, *, dry_run, purge):
    """Archived records are the city's files and stay (their ``conversation`` becomes
    empty), unless ``PURGE_ARCHIVED_PDFS`` asks the retention purge to delete them too."""
    if not (purge and buergerchat_settings.PURGE_ARCHIVED_PDFS):
        return 0
    records = list(Transcript.objects.filter(conversation=conversation, kind=TranscriptKind.ARCHIVE))
    if not dry_run:
        for transcript in records:
            transcript.delete()
    return len(records)


# --------------------------------------------------------------------------- export (Art. 15)


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


# --------------------------------------------------------------------------- key rotation


def rotate_private_files(*, dry_run):
    """Re-encrypt every attachment file and PDF with the newest key."""
    storage = private_storage()
    names = [n for n in Attachment.objects.exclude(storage_name="").values_list("storage_name", flat=True)]
    names += list(Transcript.objects.exclude(storage_name="").values_list("storage_name", flat=True))
    count = 0
    for name in names:
        if not storage.exists(name):
            continue
        if dry_run:
            with storage.open(name) as f:  # proves that a key fits
                f.read()
        else:
            storage.rotate_file(name)
        count += 1
    return count


def register():
    retention.set_archive_predicate(is_archived)
    retention.register_cleanup("attachments")(delete_attachments)
    retention.register_cleanup("citizen_transcripts")(delete_citizen_transcripts)
    retention.register_cleanup("archived_transcripts")(delete_archived_transcripts)
    rights.register_export_section("attachments")(attachments_section)
    rights.register_export_section("documents")(documents_section)
    crypto.register_rotation("private_files")(rotate_private_files)
