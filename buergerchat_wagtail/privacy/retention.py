"""Retention and deletion: the purge after the retention period and erasure on request.

One function deletes a conversation, whoever asks (purge, staff under Art. 17, the
citizen): :func:`delete_conversation`. It first counts and deletes what goes with the
conversation (:func:`cleanup`: messages, attachments, the citizen's PDFs and, for the
purge with ``PURGE_ARCHIVED_PDFS``, archived PDFs; ``files.cleanup``). Counts are
for the log and the command's summary; contents are never logged. ``purge`` is True
for the retention purge and False for erasure on request.

A department that requires an archive before deletion keeps conversations that are
not archived yet; the purge reports them as blocked.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.conversations import audit
from buergerchat_wagtail.events import groups
from buergerchat_wagtail.events.broadcasting import group_send
from buergerchat_wagtail.files import cleanup as files_cleanup
from buergerchat_wagtail.jobs import enqueue_at_most_every
from buergerchat_wagtail.models import Conversation, ConversationStatus, Department

logger = logging.getLogger(__name__)

def cleanup(conversation, *, dry_run, purge):
    """Delete (or, in a dry run, count) what goes with ``conversation``. Messages and
    attachment rows are deleted by the database cascade; counted here for the summary."""
    return {
        "messages": conversation.messages.count(),
        "attachments": files_cleanup.count_attachments(conversation),
        "citizen_transcripts": files_cleanup.delete_citizen_transcripts(conversation, dry_run=dry_run),
        "archived_transcripts": files_cleanup.delete_archived_transcripts(conversation, dry_run=dry_run, purge=purge),
    }


@dataclass
class PurgeResult:
    """Counts only: what was (or, in a dry run, would be) deleted, and what was kept."""

    dry_run: bool = False
    conversations: int = 0
    blocked: int = 0
    counts: dict = field(default_factory=dict)
    blocked_ids: list = field(default_factory=list)

    def add(self, counts):
        for name, value in counts.items():
            self.counts[name] = self.counts.get(name, 0) + value

    def as_dict(self):
        return {
            "dry_run": self.dry_run,
            "conversations": self.conversations,
            "blocked": self.blocked,
            "counts": dict(sorted(self.counts.items())),
        }


def expired_conversations(now=None):
    """Closed conversations whose department's retention period has passed, and
    conversations whose citizen asked for erasure (deleted as soon as archived)."""
    now = now or timezone.now()
    for department in Department.objects.order_by("pk"):
        cutoff = now - timedelta(days=department.retention_period_days)
        yield from (
            Conversation.objects.filter(department=department)
            .filter(
                Q(status=ConversationStatus.CLOSED, closed_at__lte=cutoff) | Q(erasure_requested_at__isnull=False)
            )
            .select_related("department")
            .order_by("pk")
            .iterator(chunk_size=200)
        )


def delete_conversation(conversation, *, user=None, action, dry_run=False, purge=False, data=None):
    """Run the cleanups, delete the conversation (messages cascade), record ``action``
    in Wagtail's log and tell open sockets. Returns the cleanup counts."""
    counts = {}
    with transaction.atomic():
        counts = cleanup(conversation, dry_run=dry_run, purge=purge)
        if dry_run:
            return counts
        conversation_id, department_id = conversation.pk, conversation.department_id
        audit.log(conversation, action, user=user, data={**(data or {}), **counts}, deleted=True)
        conversation.delete()
        transaction.on_commit(lambda: _broadcast_deleted(conversation_id, department_id))
    logger.info(
        "conversation %s deleted (%s): %s",
        conversation_id,
        action,
        ", ".join(f"{name}={value}" for name, value in sorted(counts.items())),
    )
    return counts


def _broadcast_deleted(conversation_id, department_id):
    event = {"type": "bc.deleted", "conversation": conversation_id, "department": department_id}
    group_send(groups.conversation_citizen(conversation_id), event)
    group_send(groups.conversation_staff(conversation_id), event)
    group_send(groups.department(department_id), event)


def purge_expired(*, dry_run=False, now=None):
    """Delete every expired conversation (see :func:`expired_conversations`).

    A department with ``archive_before_purge`` keeps conversations that are not
    archived yet; they are counted as ``blocked``. Logs counts, never contents.
    """
    result = PurgeResult(dry_run=dry_run)
    for conversation in expired_conversations(now):
        if conversation.department.archive_before_purge and not files_cleanup.is_archived(conversation):
            result.blocked += 1
            result.blocked_ids.append(conversation.pk)
            continue
        counts = delete_conversation(conversation, action=audit.PURGE, dry_run=dry_run, purge=True)
        result.conversations += 1
        result.add(counts)
    logger.info(
        "purge%s: %d conversation(s) %s, %d blocked (archive required), %s",
        " (dry run)" if dry_run else "",
        result.conversations,
        "would be deleted" if dry_run else "deleted",
        result.blocked,
        ", ".join(f"{name}={value}" for name, value in sorted(result.counts.items())) or "nothing else",
    )
    return result


PURGE_SCHEDULE_KEY = "buergerchat:purge:scheduled"


@task()
def purge_expired_conversations(dry_run=False):
    """Delete conversations past their department's retention period.

    Enqueued at most once per ``PURGE_INTERVAL_HOURS`` by :func:`schedule_purge`
    and also run by ``manage.py buergerchat_purge``. Returns counts only.
    """
    return purge_expired(dry_run=dry_run).as_dict()


def schedule_purge():
    """After the current transaction commits, enqueue the purge task -- at most once per
    ``PURGE_INTERVAL_HOURS``; the shared cache makes this once across workers. Called
    when a conversation starts, so an active site purges without cron."""
    hours = buergerchat_settings.PURGE_INTERVAL_HOURS
    enqueue_at_most_every(purge_expired_conversations, PURGE_SCHEDULE_KEY, hours * 3600 if hours else 0)
