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

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from .conf import buergerchat_settings
from .models import Conversation, ConversationStatus, Department

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
    from .workflow import close_if_idle

    closed = 0
    for conversation in idle_conversations(now):
        if close_if_idle(conversation, now):
            closed += 1
    if closed:
        logger.info("%s inactive conversation(s) closed", closed)
    return closed


def schedule_idle_close():
    """After the current transaction commits, enqueue the idle-close job -- at most once
    per ``IDLE_CHECK_INTERVAL`` seconds across workers (shared cache)."""
    seconds = buergerchat_settings.IDLE_CHECK_INTERVAL
    if not seconds:
        return
    from .tasks import close_idle_conversations

    def enqueue():
        if not cache.add(IDLE_SCHEDULE_KEY, timezone.now().isoformat(), timeout=seconds):
            return
        try:
            close_idle_conversations.enqueue()
        except Exception:  # noqa: BLE001  (must not break the socket)
            logger.warning("the idle-close task failed or could not be enqueued", exc_info=True)

    transaction.on_commit(enqueue)
