"""Background jobs (django-tasks, as Wagtail itself uses): enqueued after the commit.

Each domain defines its tasks next to the function they run (``files.attachments``,
``files.transcripts``, ``conversations.notifications``, ``privacy.retention``,
``casework.idle``); arguments are ids only, JSON-safe.

With the immediate backend (the demo's and the tests' default) a job runs right
after the commit in the same process; production sites configure a queue backend
such as ``django_tasks_db.DatabaseBackend`` and run its worker, so no request
waits for an e-mail, a scan or a PDF (see docs/deployment.md).
"""

import logging
from functools import partial

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)


def enqueue_on_commit(job, *args):
    """Enqueue ``job`` with ``args`` once the current transaction has committed."""
    transaction.on_commit(partial(job.enqueue, *args))


def enqueue_at_most_every(job, key, seconds):
    """After the commit, enqueue ``job`` unless it was enqueued in the last ``seconds``
    (the shared cache makes this once across workers). A failure is logged, never raised:
    a periodic job must not break the request or socket that happened to trigger it."""
    if not seconds:
        return

    def enqueue():
        if not cache.add(key, timezone.now().isoformat(), timeout=seconds):
            return
        try:
            job.enqueue()
        except Exception:  # noqa: BLE001  (see the docstring)
            logger.warning("the periodic job %s failed or could not be enqueued", job.name, exc_info=True)

    transaction.on_commit(enqueue)
