"""What case workers do with a conversation besides answering: take it, assign it to
a colleague, transfer it to another department, change its status, tag it; and the
citizen's satisfaction rating after closing.

Every staff action locks the conversation row and asks the permission policy again
against that fresh row (a transfer may have happened a moment ago), stores a system
message (see system_events.py), and broadcasts after the commit.
"""

import logging

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from buergerchat_wagtail.conversations import audit, system_events
from buergerchat_wagtail.conversations.payloads import staff_display_name
from buergerchat_wagtail.conversations.permissions import conversation_permission_policy
from buergerchat_wagtail.conversations.services import broadcast, broadcast_inbox, system_message
from buergerchat_wagtail.files.transcripts import request_archive
from buergerchat_wagtail.models import Conversation, ConversationStatus, ConversationTag, Department
from buergerchat_wagtail.protocol.frames import ProtocolError

logger = logging.getLogger(__name__)


def forbidden():
    return ProtocolError("forbidden", _("You may not access this conversation."))


def _lock(conversation, user, action):
    locked = Conversation.objects.lock(conversation.pk)
    if locked is None or not conversation_permission_policy.user_has_permission_for_instance(user, action, locked):
        raise forbidden()
    return locked


def _by(user):
    return {"by": staff_display_name(user), "by_id": user.pk}


def _save(locked, fields, messages, **broadcast_kwargs):
    locked.last_activity_at = timezone.now()
    locked.save(update_fields=[*fields, "last_activity_at"])
    transaction.on_commit(lambda: broadcast(locked, messages, **broadcast_kwargs))


def take(conversation, user):
    """Make ``user`` responsible for ``conversation``. Returns the fresh conversation."""
    return _assign(conversation, user, user, action="take")


def assign(conversation, user, assignee_id):
    """Make a colleague responsible (``assignee_id`` None: nobody)."""
    assignee = None
    if assignee_id is not None:
        assignee = get_user_model().objects.filter(pk=assignee_id).first()
        if assignee is None:
            raise ProtocolError("invalid_assignee", _("This colleague cannot take this conversation."), field="assignee")
    return _assign(conversation, user, assignee, action="assign")


def _assign(conversation, user, assignee, *, action):
    with transaction.atomic():
        locked = _lock(conversation, user, action)
        if assignee is not None and not conversation_permission_policy.may_be_assigned(assignee, locked):
            raise ProtocolError("invalid_assignee", _("This colleague cannot take this conversation."), field="assignee")
        if locked.assignee_id == (assignee.pk if assignee else None):
            return locked
        locked.assignee = assignee
        data = _by(user) | {
            "assignee": staff_display_name(assignee) if assignee else None,
            "assignee_id": assignee.pk if assignee else None,
        }
        message = system_message(locked, system_events.ASSIGNED, data)
        audit.log(locked, audit.ASSIGN, user=user, data={"assignee": data["assignee_id"], "take": action == "take"})
        _save(locked, ["assignee"], [message])
    logger.info("conversation %s assigned to user %s by user %s", locked.pk, locked.assignee_id, user.pk)
    return locked


def transfer(conversation, user, department_id, reason):
    """Move ``conversation`` to another department. The citizen is told in the chat;
    the reason is for colleagues only. The assignment is removed (the new department
    decides who takes it)."""
    with transaction.atomic():
        locked = _lock(conversation, user, "transfer")
        target = Department.objects.active().filter(pk=department_id).first()
        if target is None:
            raise ProtocolError(
                "invalid_department", _("Please choose an active department."), field="department"
            )
        if target.pk == locked.department_id:
            raise ProtocolError(
                "invalid_department", _("The conversation already belongs to this department."), field="department"
            )
        source = locked.department
        locked.department = target
        locked.assignee = None
        data = _by(user) | {
            "from": source.name,
            "from_id": source.pk,
            "to": target.name,
            "to_id": target.pk,
            "reason": reason,
        }
        message = system_message(locked, system_events.TRANSFERRED, data)
        audit.log(locked, audit.TRANSFER, user=user, data={"from": source.pk, "to": target.pk})
        _save(locked,
            ["department", "assignee"],
            [message],
            citizen_state=True,
            departments=(source.pk, target.pk),
            transfer=(source, target),
        )
    logger.info("conversation %s transferred from department %s to %s by user %s", locked.pk, source.pk, target.pk, user.pk)
    return locked


def change_tags(conversation, user, add=(), remove=()):
    """Add the tags ``add`` and remove the tags ``remove`` (ids) on ``conversation``.
    Only tags of the conversation's own department can be used (``invalid_tag``
    otherwise, nothing changed). Recorded in the audit log (ids only) and told to the
    department's inbox; the citizen never learns of tags. Returns the fresh conversation."""
    add, remove = set(add) - set(remove), set(remove)
    with transaction.atomic():
        locked = _lock(conversation, user, "tag")
        wanted = add | remove
        known = set(ConversationTag.objects.filter(pk__in=wanted, department_id=locked.department_id).values_list("pk", flat=True))
        if known != wanted:
            raise ProtocolError("invalid_tag", _("Please choose tags of the conversation's department."), field="tags")
        current = set(locked.tags.values_list("pk", flat=True))
        added, removed = sorted(add - current), sorted(remove & current)
        if not added and not removed:
            return locked
        locked.tags.add(*added)
        locked.tags.remove(*removed)
        audit.log(locked, audit.TAG, user=user, data={"added": added, "removed": removed})
        # No system message and no new "last activity": tags are the staff's bookkeeping.
        transaction.on_commit(lambda: broadcast_inbox(locked))
    logger.info("conversation %s tags +%s -%s by user %s", locked.pk, added, removed, user.pk)
    return locked


def _close(locked, user, data):
    """Close the locked row (inside the caller's transaction): the one close of
    ``set_status`` and of the citizen's erasure request. Returns the system message."""
    locked.status = ConversationStatus.CLOSED
    locked.closed_at = timezone.now()  # the retention period starts now
    locked.waiting_since = None
    locked.idle_since = None
    message = system_message(locked, system_events.CLOSED, data)
    audit.log(locked, audit.CLOSE, user=user)
    if locked.department.archive_on_close:
        # The department keeps a record of every closed conversation: a PDF/A
        # transcript made in the background once this transaction commits.
        request_archive(locked, user=user)
    return message


def close_on_erasure_request(conversation):
    """The citizen asked to delete a conversation that must be archived first: record the
    request and close it (unless it is closed already) through the same close as
    ``set_status``. No permission check: the caller authenticated the citizen."""
    with transaction.atomic():
        locked = Conversation.objects.lock(conversation.pk)
        locked.erasure_requested_at = timezone.now()
        messages = []
        if locked.status != ConversationStatus.CLOSED:
            messages.append(_close(locked, None, {"by_citizen": True}))
        _save(locked,
            ["erasure_requested_at", "status", "closed_at", "waiting_since", "idle_since"],
            messages,
            citizen_state=True,
        )
    logger.info("conversation %s closed on the citizen's erasure request", locked.pk)
    return locked


def set_status(conversation, user, status):
    """Open, wait for the citizen, or close. Closing tells the citizen and offers the rating,
    and archives the conversation when its department asks for that (``archive_on_close``).
    This is the one way a conversation is closed; closing a closed one changes nothing."""
    status = ConversationStatus(status)
    if status == ConversationStatus.NEW:
        raise ProtocolError("invalid_frame", _("This status cannot be set."), field="status")
    with transaction.atomic():
        locked = _lock(conversation, user, "status")
        previous = locked.status
        if previous == status:
            return locked
        locked.status = status
        messages = []
        if status == ConversationStatus.CLOSED:
            messages.append(_close(locked, user, _by(user)))
        else:
            locked.closed_at = None  # retention counts from the next close
            if previous == ConversationStatus.CLOSED:
                messages.append(system_message(locked, system_events.REOPENED, _by(user)))
            if status == ConversationStatus.WAITING or previous != ConversationStatus.CLOSED:
                messages.append(system_message(locked, system_events.STATUS, _by(user) | {"status": status.value}))
            audit.log(locked, audit.STATUS, user=user, data={"from": previous, "to": status.value})
        _save(locked, ["status", "closed_at", "waiting_since", "idle_since"], messages, citizen_state=True)
    logger.info("conversation %s status %s by user %s", locked.pk, status.value, user.pk)
    return locked


def close_if_idle(conversation, now=None):
    """Close ``conversation`` when its citizen has been inactive too long (the rule is
    ``Conversation.idle_close_at``: the department's minutes after the last staff answer
    or "continue chat"), through the same close as ``set_status``. Returns True if closed."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Conversation.objects.lock(conversation.pk)
        if locked is None or locked.idle_close_at is None or locked.idle_close_at > now:
            return False
        data = {"idle": True, "minutes": locked.department.idle_close_minutes}
        message = _close(locked, None, data)
        _save(locked, ["status", "closed_at", "waiting_since", "idle_since"], [message], citizen_state=True)
    logger.info("conversation %s closed after %s idle minutes", locked.pk, locked.department.idle_close_minutes)
    return True


def extend_idle(conversation, now=None):
    """The citizen pressed "continue chat": the inactivity clock starts again. Changes
    nothing when no idle close is pending (closed, or the citizen wrote last)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Conversation.objects.lock(conversation.pk)
        if locked is None:
            raise ProtocolError("conversation_deleted", _("This conversation has been deleted."))
        if locked.idle_close_at is not None:
            if locked.idle_close_at <= now:
                close_if_idle(locked, now)
                return Conversation.objects.select_related("department").get(pk=locked.pk)
            locked.idle_since = now
            locked.save(update_fields=["idle_since"])
    return locked


def rate(conversation, score, comment=""):
    """The citizen's satisfaction rating (1–5 and an optional comment), once, after closing."""
    with transaction.atomic():
        locked = Conversation.objects.lock(conversation.pk)
        if locked is None:
            raise ProtocolError("conversation_deleted", _("This conversation has been deleted."))
        if locked.status != ConversationStatus.CLOSED:
            raise ProtocolError("not_closed", _("You can rate the conversation once it has been closed."))
        if locked.rating is not None:
            raise ProtocolError("already_rated", _("You have already rated this conversation. Thank you!"))
        locked.rating = score
        locked.rating_comment = comment
        locked.rated_at = timezone.now()
        message = system_message(locked, system_events.RATED, {"score": score})
        locked.save(update_fields=["rating", "rating_comment", "rated_at"])
        transaction.on_commit(lambda: broadcast(locked, [message], citizen_state=True))
    logger.info("conversation %s rated", locked.pk)
    return locked
