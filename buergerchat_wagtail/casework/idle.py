"""Closing inactive conversations (WCAG 2.2.1: the citizen is warned and may extend).

The rule lives on the model (``Conversation.idle_close_at``): a department's
``idle_close_minutes`` after the last staff answer, or after the citizen's "continue
chat", without a message from the citizen. The close itself is ``workflow.close_if_idle``
(the one close of ``workflow.py``). It runs

- for one conversation when its citizen socket pings (the widget pings at the deadline),
- for all conversations in a background job, enqueued at most once per
  ``IDLE_CHECK_INTERVAL`` seconds when any socket pings, and by
  ``manage.py buergerchat_close_idle`` (cron, if the automatic schedule is off).
"""

import datetime
import logging

from django.utils import timezone
from django_tasks import task

from buergerchat_wagtail.casework.workflow import close_if_idle
from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.jobs import enqueue_at_most_every
from buergerchat_wagtail.models import Conversation, ConversationStatus, Department

logger = logging.getLogger(__name__)

#: Seconds before the close at which the widget warns the citizen.
WARNING_SECONDS = 20
IDLE_SCHEDULE_KEY = "buergerchat:idle:scheduled"


def idle_conversations(now=None):
    """Conversations whose idle close is due at ``now``."""
    now = now or timezone.now()
    ids = []
    for department in Department.objects.filter(idle_close_minutes__gt=0).only("pk", "idle_close_minutes"):
        deadline = now - datetime.timedelta(minutes=department.idle_close_minutes)
        ids += (
            Conversation.objects.filter(department=department, idle_since__isnull=False, idle_since__lte=deadline)
            .exclude(status=ConversationStatus.CLOSED)
            .values_list("pk", flat=True)
        )
    return Conversation.objects.filter(pk__in=ids).select_related("department").order_by("pk")


def close_idle(now=None):
    """Close every conversation whose idle close is due. Returns how many were closed."""
    closed = 0
    for conversation in idle_conversations(now):
        if close_if_idle(conversation, now):
            closed += 1
    if closed:
        logger.info("%s inactive conversation(s) closed", closed)
    return closed


@task()
def close_idle_conversations():
    """Close conversations whose citizen has been inactive too long.

    Enqueued at most once per ``IDLE_CHECK_INTERVAL`` by :func:`schedule_idle_close`
    and also run by ``manage.py buergerchat_close_idle``. Returns the count.
    """
    return close_idle()


def schedule_idle_close():
    """After the current transaction commits, enqueue the idle-close job -- at most once
    per ``IDLE_CHECK_INTERVAL`` seconds across workers (shared cache)."""
    enqueue_at_most_every(close_idle_conversations, IDLE_SCHEDULE_KEY, buergerchat_settings.IDLE_CHECK_INTERVAL)
