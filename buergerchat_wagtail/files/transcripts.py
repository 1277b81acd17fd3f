"""Transcripts: the city's archived records and the citizen's own copy.

Which messages a transcript contains is decided in one place,
:func:`citizen_visible_messages`. Rendering (pdf.py) is slow for long
conversations, so views only *request* a transcript (a background job renders
it, :func:`archive_conversation_task`) and serve it once it is there.
"""

import hashlib
import logging

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db.models import Exists, Max, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django_tasks import task
from wagtail.log_actions import log

from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.conversations import audit
from buergerchat_wagtail.conversations.visibility import citizen_visible
from buergerchat_wagtail.files.attachments import protected_file_response
from buergerchat_wagtail.files.pdf import render_transcript
from buergerchat_wagtail.files.storage import private_storage
from buergerchat_wagtail.jobs import enqueue_on_commit
from buergerchat_wagtail.models import (
    Attachment,
    Conversation,
    ConversationStatus,
    Message,
    Transcript,
    TranscriptKind,
)
from buergerchat_wagtail.models.attachments import new_storage_name

logger = logging.getLogger(__name__)

ARCHIVE_ACTION = "buergerchat.archive"
DOWNLOAD_ACTION = audit.DOWNLOAD  # registered with the other audit actions (audit.py)


def citizen_visible_messages(conversation):
    """The messages a transcript shows: exactly those the citizen can see.

    Every transcript (the citizen's copy and the archived record) takes its messages
    from here and nowhere else; internal notes of staff and internal events are
    excluded by the one rule in :func:`~buergerchat_wagtail.visibility.citizen_visible`.
    """
    return (
        citizen_visible(Message.objects.filter(conversation=conversation, sender__in=["citizen", "staff", "system"]))
        .select_related("author", "attachment")
        .order_by("pk")
    )


def latest_message_id(conversation):
    """The newest message a transcript would show (a new internal note does not make
    a transcript stale)."""
    return citizen_visible(Message.objects.filter(conversation=conversation)).aggregate(last=Max("pk"))["last"] or 0


def is_current(transcript, conversation):
    """True if nothing the transcript shows has changed since it was made: no
    newer message, and no attachment whose check finished after it."""
    if transcript.last_message_id < latest_message_id(conversation):
        return False
    return not Attachment.objects.filter(conversation=conversation, scanned_at__gt=transcript.created_at).exists()


def transcript_language(code=None):
    """A language of the site (``LANGUAGES``) for ``code``, e.g. the page's language;
    without one (or for another language) ``BUERGERCHAT["PDF_LANGUAGE"]``."""
    if code:
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            pass
    return buergerchat_settings.PDF_LANGUAGE


def current_transcript(conversation, kind, language=None):
    """The newest transcript of ``kind`` that is still current (in ``language``, if given)."""
    transcripts = Transcript.objects.filter(conversation=conversation, kind=kind)
    if language:
        transcripts = transcripts.filter(language=language)
    latest = transcripts.order_by("-pk").first()
    return latest if latest is not None and is_current(latest, conversation) else None


def store_transcript(conversation, kind, *, user=None, language=None):
    """Render and store a transcript now (call this from a job or a command)."""
    created_at = timezone.now()
    language = transcript_language(language)
    messages = citizen_visible_messages(conversation).iterator(chunk_size=1000)
    pdf, info = render_transcript(conversation, messages, kind=kind, created_at=created_at, language=language)
    storage = private_storage()
    name = storage.save(new_storage_name("transcripts"), ContentFile(pdf))
    transcript = Transcript.objects.create(
        kind=kind,
        conversation=conversation,
        department=conversation.department,
        reference=conversation.reference,
        subject=conversation.subject,
        conversation_started_at=conversation.created_at,
        last_message_at=info["last_message_at"],
        last_message_id=info["last_message_id"],
        message_count=info["message_count"],
        attachment_count=info["attachment_count"],
        language=language,
        storage_name=name,
        size=len(pdf),
        sha256=hashlib.sha256(pdf).hexdigest(),
        created_at=created_at,
        created_by=user,
    )
    if kind == TranscriptKind.ARCHIVE:
        log(instance=transcript, action=ARCHIVE_ACTION, user=user, title=transcript.reference)
    logger.info(
        "transcript %s (%s) of conversation %s: %d messages, %d bytes",
        transcript.pk,
        kind,
        conversation.pk,
        info["message_count"],
        len(pdf),
    )
    return transcript


def archive_conversation(conversation_id, *, user_id=None, force=False):
    """Archive a conversation unless an archived transcript is still current."""
    conversation = Conversation.objects.select_related("department").filter(pk=conversation_id).first()
    if conversation is None:
        return None
    if not force:
        existing = current_transcript(conversation, TranscriptKind.ARCHIVE)
        if existing is not None:
            return existing
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    return store_transcript(conversation, TranscriptKind.ARCHIVE, user=user)


def build_citizen_transcript(conversation_id, language=None):
    """The citizen's current copy in ``language``, rendered if needed; older copies
    (and copies in another language) are deleted."""
    conversation = Conversation.objects.select_related("department").filter(pk=conversation_id).first()
    if conversation is None:
        return None
    language = transcript_language(language)
    transcript = current_transcript(conversation, TranscriptKind.CITIZEN, language)
    if transcript is None:
        transcript = store_transcript(conversation, TranscriptKind.CITIZEN, language=language)
    old = Transcript.objects.filter(conversation=conversation, kind=TranscriptKind.CITIZEN).exclude(pk=transcript.pk)
    for stale in old:
        delete_transcript(stale)
    return transcript


def delete_transcript(transcript):
    private_storage().delete(transcript.storage_name)
    transcript.delete()


def request_archive(conversation, *, user=None):
    """Archive in the background after the current transaction commits."""
    enqueue_on_commit(archive_conversation_task, conversation.pk, user.pk if user else None)


#: How long a requested citizen transcript is not requested again (a queued job is
#: on its way; a citizen's widget asks every 2 seconds while it waits).
REQUEST_DEDUP_SECONDS = 120


def request_citizen_transcript(conversation, language=None):
    """Ask for the citizen's copy once per state of the conversation and language."""
    language = transcript_language(language)
    key = f"buergerchat:transcript-requested:{conversation.pk}:{latest_message_id(conversation)}:{language}"
    if cache.add(key, 1, REQUEST_DEDUP_SECONDS):
        enqueue_on_commit(citizen_transcript_task, conversation.pk, language)


def conversations_to_archive():
    """Closed conversations without a current archived transcript, oldest first."""
    last_id = Subquery(
        citizen_visible(Message.objects.filter(conversation=OuterRef("pk"))).order_by("-pk").values("pk")[:1]
    )
    rescanned = Attachment.objects.filter(conversation=OuterRef(OuterRef("pk")), scanned_at__gt=OuterRef("created_at"))
    current_archive = Transcript.objects.filter(
        kind=TranscriptKind.ARCHIVE, conversation=OuterRef("pk"), last_message_id__gte=OuterRef("last_id")
    ).exclude(Exists(rescanned))
    return (
        Conversation.objects.filter(status=ConversationStatus.CLOSED)
        .annotate(last_id=Coalesce(last_id, Value(0)))
        .exclude(Exists(current_archive))
        .select_related("department")
        .order_by("pk")
    )


def transcript_response(transcript):
    fileobj = private_storage().open(transcript.storage_name, "rb")
    return protected_file_response(fileobj, transcript.filename, "application/pdf")


def record_download(transcript, user):
    # The label is the reference (Transcript.__str__), never the subject; data holds ids only.
    log(
        instance=transcript,
        action=DOWNLOAD_ACTION,
        user=user,
        title=transcript.reference,
        data={"transcript": transcript.pk, "conversation": transcript.conversation_id},
    )


@task()
def archive_conversation_task(conversation_id, user_id=None):
    transcript = archive_conversation(conversation_id, user_id=user_id)
    return transcript.pk if transcript else None


@task()
def citizen_transcript_task(conversation_id, language=None):
    transcript = build_citizen_transcript(conversation_id, language)
    return transcript.pk if transcript else None
