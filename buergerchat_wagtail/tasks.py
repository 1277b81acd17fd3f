"""Background jobs (django-tasks, as Wagtail itself uses). Arguments are ids only,
JSON-safe; jobs are enqueued after the surrounding transaction commits.

With the immediate backend (the demo's and the tests' default) a job runs right
after the commit in the same process; production sites configure a queue backend
such as ``django_tasks_db.DatabaseBackend`` and run its worker, so no request
waits for an e-mail, a scan or a PDF (see docs/deployment.md).
"""

import logging
from functools import partial

from django.db import DatabaseError, transaction
from django_tasks import task

from buergerchat_wagtail.conversations import notifications

logger = logging.getLogger(__name__)


@task()
def notify_citizen(conversation_id: int):
    try:
        return notifications.notify_citizen_of_answer(conversation_id)
    except (OSError, DatabaseError):
        logger.warning("answer notice for conversation %s failed", conversation_id, exc_info=True)
        return False


@task()
def notify_department(conversation_id: int):
    try:
        return notifications.notify_department_of_new_conversation(conversation_id)
    except (OSError, DatabaseError):
        logger.warning("new-conversation notice for conversation %s failed", conversation_id, exc_info=True)
        return False


@task()
def scan_attachment_task(attachment_id):
    from buergerchat_wagtail.files.attachments import scan_attachment

    scan_attachment(attachment_id)


@task()
def archive_conversation_task(conversation_id, user_id=None):
    from buergerchat_wagtail.files.transcripts import archive_conversation

    transcript = archive_conversation(conversation_id, user_id=user_id)
    return transcript.pk if transcript else None


@task()
def citizen_transcript_task(conversation_id):
    from buergerchat_wagtail.files.transcripts import build_citizen_transcript

    transcript = build_citizen_transcript(conversation_id)
    return transcript.pk if transcript else None


@task()
def purge_expired_conversations(dry_run=False):
    """Delete conversations past their department's retention period (retention.py).

    Enqueued at most once per ``PURGE_INTERVAL_HOURS`` by :func:`retention.schedule_purge`
    and also run by ``manage.py buergerchat_purge``. Returns counts only.
    """
    from buergerchat_wagtail.privacy.retention import purge_expired

    return purge_expired(dry_run=dry_run).as_dict()


def enqueue_on_commit(job, *args):
    """Enqueue ``job`` with ``args`` once the current transaction has committed."""
    transaction.on_commit(partial(job.enqueue, *args))


@task()
def close_idle_conversations():
    """Close conversations whose citizen has been inactive too long (idle.py).

    Enqueued at most once per ``IDLE_CHECK_INTERVAL`` by :func:`idle.schedule_idle_close`
    and also run by ``manage.py buergerchat_close_idle``. Returns the count.
    """
    from buergerchat_wagtail.casework.idle import close_idle

    return close_idle()
