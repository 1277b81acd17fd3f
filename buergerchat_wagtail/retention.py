"""Retention and deletion: the purge after the retention period and erasure on request.

One function deletes a conversation, whoever asks (purge, staff under Art. 17, the
citizen): :func:`delete_conversation`. It runs every registered *cleanup* first, so
data types added later (attachment files, archived PDFs) are deleted with their
conversation without changes here::

    from buergerchat_wagtail.retention import register_cleanup

    @register_cleanup("attachment_files")
    def delete_attachment_files(conversation, *, dry_run, purge):
        names = [...]
        if not dry_run:
            transaction.on_commit(lambda: [storage.delete(n) for n in names])
        return len(names)

A cleanup returns a count (for the log and the command's summary); it must never
log contents. ``purge`` is True for the retention purge and False for erasure on
request (where e.g. archived PDFs are kept or deleted by their own rules).

Whether a conversation is archived is asked through :func:`is_archived`, a pluggable
predicate (``set_archive_predicate``). Until an archive exists it answers "no", so a
department that requires an archive before deletion keeps its conversations and the
purge reports them as blocked.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import audit, groups
from .broadcasting import group_send
from .conf import buergerchat_settings
from .models import BuergerchatSiteSettings, Conversation, ConversationStatus, Department

logger = logging.getLogger(__name__)

_cleanups = {}
_archive_predicate = None


def register_cleanup(name):
    """Decorator: ``fn(conversation, *, dry_run, purge) -> int`` runs before a
    conversation is deleted. Registering a name again replaces the function."""

    def decorator(fn):
        _cleanups[name] = fn
        return fn

    return decorator


def unregister_cleanup(name):
    _cleanups.pop(name, None)


def cleanups():
    return dict(_cleanups)


def set_archive_predicate(predicate):
    """``predicate(conversation) -> bool``: True if the conversation is archived.
    ``None`` restores the default (nothing is archived)."""
    global _archive_predicate
    _archive_predicate = predicate


def is_archived(conversation):
    return bool(_archive_predicate(conversation)) if _archive_predicate is not None else False


@register_cleanup("messages")
def _count_messages(conversation, *, dry_run, purge):
    # Messages are deleted by the database cascade; counted here for the summary.
    return conversation.messages.count()


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


def retention_days(department):
    """The retention period of ``department`` in days: its own, or the site default
    (Bürgerchat settings of the default site). The one answer used by the purge, the
    data subject access document and the admin."""
    if department.retention_days is not None:
        return department.retention_days
    return BuergerchatSiteSettings.for_request_or_default().default_retention_days


def expired_conversations(now=None):
    """Closed conversations whose department's retention period has passed, and
    conversations whose citizen asked for erasure (deleted as soon as archived)."""
    now = now or timezone.now()
    for department in Department.objects.order_by("pk"):
        cutoff = now - timedelta(days=retention_days(department))
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
        for name, cleanup in _cleanups.items():
            counts[name] = int(cleanup(conversation, dry_run=dry_run, purge=purge) or 0)
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
        if conversation.department.archive_before_purge and not is_archived(conversation):
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


def schedule_purge():
    """After the current transaction commits, enqueue the purge task -- at most once per
    ``PURGE_INTERVAL_HOURS``; the shared cache makes this once across workers. Called
    when a conversation starts, so an active site purges without cron."""
    hours = buergerchat_settings.PURGE_INTERVAL_HOURS
    if not hours:
        return
    from .tasks import purge_expired_conversations

    def enqueue():
        if not cache.add(PURGE_SCHEDULE_KEY, timezone.now().isoformat(), timeout=hours * 3600):
            return
        try:
            purge_expired_conversations.enqueue()
        except Exception:  # noqa: BLE001  (a failed purge must not break the citizen's request)
            logger.warning("the purge task failed or could not be enqueued", exc_info=True)

    transaction.on_commit(enqueue)
