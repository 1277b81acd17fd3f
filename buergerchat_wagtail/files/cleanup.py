"""What deleting a conversation does to its files: attachments go with it, the
citizen's PDF copies are deleted, archived records stay unless the purge is told
otherwise. Called by ``privacy.retention.delete_conversation``; the files themselves
follow their rows after the commit (``files.storage.delete_stored_file``)."""

from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.models import Attachment, Transcript, TranscriptKind


def is_archived(conversation):
    return conversation.transcripts.archived().exists()


def count_attachments(conversation):
    # Rows cascade with the conversation; their files go with them (post_delete).
    return Attachment.objects.filter(conversation=conversation).count()


def delete_citizen_transcripts(conversation, *, dry_run):
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
