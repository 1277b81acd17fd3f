"""The attachment domain: store an upload in quarantine, scan it, serve it.

1. ``store_attachment`` checks and cleans the upload (uploads.py), saves it under
   ``quarantine/`` in the private storage and stores its message, all before the
   sender gets an ``ack``.
2. After the commit, a background job (:func:`scan_attachment_task`) runs the malware scanner. A clean
   file moves to ``files/``, an infected one is deleted; both sides are told with
   an ``attachment`` event.
   A released image also gets a small thumbnail (thumbnails.py), made from the
   stored, re-encoded copy.
3. ``file_response`` serves a clean file, and only a clean one, to a requester
   whose right the calling view has checked; ``thumbnail_response`` its thumbnail.
"""

import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.http import FileResponse
from django.utils import timezone
from django_tasks import task

from buergerchat_wagtail.conversations import audit, payloads, ratelimit, services
from buergerchat_wagtail.events import broadcasting, groups
from buergerchat_wagtail.files.scanning import ScannerError, get_scanner
from buergerchat_wagtail.files.storage import private_storage
from buergerchat_wagtail.files.thumbnails import store_thumbnail
from buergerchat_wagtail.files.uploads import inspect_upload
from buergerchat_wagtail.jobs import enqueue_on_commit
from buergerchat_wagtail.models import Attachment, Message, ScanStatus
from buergerchat_wagtail.models.attachments import NOT_SCANNED, new_storage_name
from buergerchat_wagtail.models.filetypes import IMAGE_TYPES, mime_type

logger = logging.getLogger(__name__)


def store_attachment(*, conversation, sender, uploaded, client_id, body="", author=None):
    """Store an uploaded file as a message of ``conversation``; returns ``(message, created)``.

    A resend with a known ``client_id`` stores nothing and returns the stored message.
    Raises :class:`~buergerchat_wagtail.protocol.ProtocolError` for a refused file.
    """
    existing = Message.objects.filter(conversation=conversation, client_id=client_id).first()
    if existing is not None:
        return existing, False
    # Counted before the file is inspected; a resend (above) never counts.
    ratelimit.check_upload(conversation.pk, sender, ref=str(client_id))
    clean = inspect_upload(uploaded, conversation.department)
    storage = private_storage()
    stored_name = storage.save(new_storage_name("quarantine"), ContentFile(clean.content))
    try:
        with transaction.atomic():
            message, created = services.post_message(
                conversation=conversation, sender=sender, body=body, client_id=client_id, author=author
            )
            if not created:  # a resend raced us
                transaction.on_commit(lambda: storage.delete(stored_name))
                return message, False
            attachment = Attachment.objects.create(
                conversation=conversation,
                message=message,
                name=clean.name,
                file_type=clean.file_type,
                size=clean.size,
                sha256=clean.sha256,
                storage_name=stored_name,
            )
            if clean.removed:
                # Ids and checksums only: which file came in, which one is kept.
                audit.log(
                    conversation,
                    audit.PDF_CLEANED,
                    user=author,
                    data={
                        "attachment": attachment.pk,
                        "original_sha256": clean.original_sha256,
                        "sha256": clean.sha256,
                        "removed": sorted(set(clean.removed)),
                    },
                )
            enqueue_on_commit(scan_attachment_task, attachment.pk)
    except BaseException:
        storage.delete(stored_name)
        raise
    logger.info("attachment %s (%s, %d bytes) stored in quarantine, message %s", attachment.pk, clean.file_type, clean.size, message.pk)
    return message, True


def scan_attachment(attachment_id):
    """Scan a quarantined attachment and release or remove it. Safe to repeat."""
    attachment = Attachment.objects.select_related("conversation__department").filter(pk=attachment_id).first()
    if attachment is None or attachment.status not in (ScanStatus.PENDING, ScanStatus.FAILED):
        return attachment
    storage = private_storage()
    scanner = get_scanner()
    previous = attachment.status
    try:
        with storage.open(attachment.storage_name, "rb") as fileobj:
            result = scanner.scan(fileobj)
    except (ScannerError, OSError) as exc:
        logger.warning("attachment %s could not be scanned: %s", attachment.pk, exc)
        Attachment.objects.filter(pk=attachment.pk).update(status=ScanStatus.FAILED, scan_detail=str(exc)[:200])
        attachment.refresh_from_db()
        if previous != ScanStatus.FAILED:
            broadcast_attachment(attachment)
        return attachment
    quarantined = attachment.storage_name
    if result.clean:
        with storage.open(quarantined, "rb") as fileobj:
            released = storage.save(new_storage_name("files"), fileobj)
        fields = {"status": ScanStatus.CLEAN, "storage_name": released, **store_thumbnail(released, attachment.file_type)}
    else:
        released = None
        fields = {"status": ScanStatus.INFECTED, "storage_name": ""}
    updated = Attachment.objects.filter(pk=attachment.pk, status=previous, storage_name=quarantined).update(
        scan_detail=result.detail[:200] if result.scanned else NOT_SCANNED,
        scanned_at=timezone.now(),
        **fields,
    )
    if not updated:  # another scan of the same file finished first
        if released:
            storage.delete(released)
        if fields.get("thumbnail_name"):
            storage.delete(fields["thumbnail_name"])
        attachment.refresh_from_db()
        return attachment
    storage.delete(quarantined)
    attachment.refresh_from_db()
    if result.clean:
        logger.info("attachment %s released after scan (%s)", attachment.pk, scanner.name)
    else:
        logger.warning("attachment %s removed: malware found by %s", attachment.pk, scanner.name)
    broadcast_attachment(attachment)
    return attachment


def rescan_pending():
    """Scan again every attachment still in quarantine (e.g. after clamd was down)."""
    ids = list(Attachment.objects.filter(status__in=[ScanStatus.PENDING, ScanStatus.FAILED]).values_list("pk", flat=True))
    return [scan_attachment(pk) for pk in ids]


def add_missing_thumbnails():
    """Thumbnails for released images stored before thumbnails existed; returns how many."""
    made = 0
    images = Attachment.objects.filter(status=ScanStatus.CLEAN, thumbnail_name="", file_type__in=IMAGE_TYPES)
    for attachment in images.exclude(storage_name="").iterator():
        fields = store_thumbnail(attachment.storage_name, attachment.file_type)
        if fields and Attachment.objects.filter(pk=attachment.pk, thumbnail_name="").update(**fields):
            made += 1
        elif fields:
            private_storage().delete(fields["thumbnail_name"])
    return made


def broadcast_attachment(attachment):
    """Tell both sides of the conversation that an attachment's check is done."""
    conversation = attachment.conversation
    for audience, group in (
        (payloads.CITIZEN, groups.conversation_citizen(conversation.pk)),
        (payloads.STAFF, groups.conversation_staff(conversation.pk)),
    ):
        broadcasting.group_send(
            group,
            {
                "type": "bc.attachment",
                "conversation": conversation.pk,
                "department": conversation.department_id,
                "message": attachment.message_id,
                "attachment": payloads.attachment_payload(attachment, audience),
            },
        )


def file_response(attachment):
    """The download of a clean attachment; the caller has checked the right to it."""
    fileobj = private_storage().open(attachment.storage_name, "rb")
    return protected_file_response(fileobj, attachment.name, mime_type(attachment.file_type))


def thumbnail_response(attachment):
    """The thumbnail of a clean image, for an ``<img>``; the caller has checked the right to it."""
    fileobj = private_storage().open(attachment.thumbnail_name, "rb")
    return protected_file_response(fileobj, attachment.name, mime_type(attachment.file_type), inline=True)


def protected_file_response(fileobj, filename, content_type, *, inline=False):
    """A download that browsers do not sniff and nobody caches; shown inline only
    when ``inline`` (thumbnails, whose type the server made itself)."""
    response = FileResponse(fileobj, as_attachment=not inline, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@task()
def scan_attachment_task(attachment_id):
    scan_attachment(attachment_id)
