"""Background jobs (django-tasks, as Wagtail itself uses). Arguments are ids only,
JSON-safe; jobs are enqueued after the surrounding transaction commits.

With the immediate backend (the demo's and the tests' default) a job runs right
after the commit in the same process; production sites configure a queue backend
such as ``django_tasks_db.DatabaseBackend`` and run its worker, so no request
waits for a scan or a PDF (see docs/deployment.md).
"""

from functools import partial

from django.db import transaction
from django_tasks import task


@task()
def scan_attachment_task(attachment_id):
    from .attachments import scan_attachment

    scan_attachment(attachment_id)


@task()
def archive_conversation_task(conversation_id, user_id=None):
    from .transcripts import archive_conversation

    transcript = archive_conversation(conversation_id, user_id=user_id)
    return transcript.pk if transcript else None


@task()
def citizen_transcript_task(conversation_id):
    from .transcripts import build_citizen_transcript

    transcript = build_citizen_transcript(conversation_id)
    return transcript.pk if transcript else None


def enqueue_on_commit(job, *args):
    """Enqueue ``job`` with ``args`` once the current transaction has committed."""
    transaction.on_commit(partial(job.enqueue, *args))
