"""Background jobs (django-tasks): JSON-safe arguments, enqueued after the commit.

With django-tasks' default ImmediateBackend they run right away; a site with a
worker backend (e.g. django-tasks' database backend) sends e-mails out of the request."""

import logging

from django.db import DatabaseError
from django_tasks import task

from . import notifications

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
