"""Fair assignment: new conversations go to present case workers in turn.

A department either leaves assignment to its case workers (``AssignmentMode.MANUAL``,
the default) or assigns automatically (``AUTOMATIC``):

- a new conversation goes to the next present case worker (admin open, not away; see
  ``availability.presence``) who holds fewer open conversations of the department than
  ``assignment_capacity`` -- round robin, after ``Department.last_auto_assignee``;
- open conversations of a case worker absent for ``reassign_after_minutes`` go to a
  present colleague with free capacity;
- conversations nobody could take wait, unassigned, until someone becomes present.

Every change is made with the department's row locked (``select_for_update``), so two
conversations started at the same moment never both see the same free place, and the
round-robin pointer moves once per assignment. Each automatic assignment is audited
(``audit.AUTO_ASSIGN``) and leaves an internal system message in the conversation.

It runs for a new conversation inside its start (``commands.citizen.start``), and as the
job :func:`balance_assignments`: enqueued when a case worker's presence changes, at most
once per ``ASSIGNMENT_CHECK_INTERVAL`` seconds when staff sockets ping, and by
``manage.py buergerchat_assign`` (cron, if the automatic schedule is off).
"""

import datetime
import logging
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, F, OuterRef, Subquery
from django.utils import timezone
from django_tasks import task

from buergerchat_wagtail.availability import presence
from buergerchat_wagtail.availability import state as availability
from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.conversations import audit, system_events
from buergerchat_wagtail.conversations.payloads import staff_display_name
from buergerchat_wagtail.conversations.services import broadcast, system_message
from buergerchat_wagtail.jobs import enqueue_at_most_every
from buergerchat_wagtail.models import AssignmentMode, Conversation, ConversationStatus, Department, Message
from buergerchat_wagtail.models.conversations import ACTIVE_STATUSES

logger = logging.getLogger(__name__)

ASSIGNMENT_SCHEDULE_KEY = "buergerchat:assignment:scheduled"


def open_counts(department):
    """``{user id: open conversations of ``department`` assigned to them}`` (not closed)."""
    rows = (
        Conversation.objects.filter(department=department, assignee__isnull=False)
        .exclude(status=ConversationStatus.CLOSED)
        .values("assignee_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["assignee_id"]: row["n"] for row in rows}


def _next_in_turn(candidates, last_id):
    """The first of the sorted ``candidates`` after ``last_id``, wrapping around."""
    for user_id in candidates:
        if last_id is None or user_id > last_id:
            return user_id
    return candidates[0]


class _Turn:
    """Who may get the department's next conversation, kept up to date while one
    locked pass assigns several."""

    def __init__(self, department, now):
        self.department = department
        self.present = sorted(presence.online_user_ids(department, now))
        self.counts = open_counts(department)

    def free(self, exclude=()):
        capacity = self.department.assignment_capacity
        return [u for u in self.present if u not in exclude and self.counts.get(u, 0) < capacity]

    def pick(self, exclude=()):
        free = self.free(exclude)
        if not free:
            return None
        return _next_in_turn(free, self.department.last_auto_assignee_id)

    def took(self, user_id, previous_id=None):
        self.counts[user_id] = self.counts.get(user_id, 0) + 1
        if previous_id is not None and self.counts.get(previous_id):
            self.counts[previous_id] -= 1
        self.department.last_auto_assignee_id = user_id


def _lock_department(department_id):
    return Department.objects.select_for_update().filter(pk=department_id).first()


def _give(conversation, user_id, turn, now):
    """Assign the locked ``conversation`` to ``user_id`` (inside the caller's transaction)."""
    User = get_user_model()
    assignee = User.objects.get(pk=user_id)
    previous = conversation.assignee if conversation.assignee_id else None
    conversation.assignee = assignee
    conversation.auto_assigned_at = now
    conversation.last_activity_at = now
    conversation.save(update_fields=["assignee", "auto_assigned_at", "last_activity_at"])
    data = {"assignee": staff_display_name(assignee), "assignee_id": assignee.pk}
    if previous is not None:
        data |= {"previous": staff_display_name(previous), "previous_id": previous.pk}
    message = system_message(conversation, system_events.AUTO_ASSIGNED, data, created_at=now)
    audit.log(
        conversation,
        audit.AUTO_ASSIGN,
        data={"assignee": assignee.pk, "previous": previous.pk if previous else None},
    )
    turn.took(user_id, previous.pk if previous else None)
    transaction.on_commit(lambda: broadcast(conversation, [message]))
    logger.info(
        "conversation %s assigned automatically to user %s (before: %s)",
        conversation.pk,
        user_id,
        previous.pk if previous else None,
    )


def _save_turn(department):
    Department.objects.filter(pk=department.pk).update(last_auto_assignee_id=department.last_auto_assignee_id)


def assign_new(conversation, now=None):
    """Assign a just-started ``conversation`` if its department assigns automatically.
    Call it inside the start's transaction. Returns the assignee's id or ``None``."""
    now = now or timezone.now()
    with transaction.atomic():
        department = _lock_department(conversation.department_id)
        if department is None or department.assignment_mode != AssignmentMode.AUTOMATIC:
            return None
        locked = Conversation.objects.lock(conversation.pk)
        if locked is None or locked.assignee_id is not None or locked.status not in ACTIVE_STATUSES:
            return None
        turn = _Turn(department, now)
        user_id = turn.pick()
        if user_id is None:
            return None
        _give(locked, user_id, turn, now)
        _save_turn(department)
    return user_id


def balance_department(department_id, now=None):
    """One locked pass over an automatic department: reassign the open conversations of
    case workers absent too long, then assign the unassigned ones (the longest-waiting
    citizen first). Returns ``(assigned, reassigned)`` counts."""
    now = now or timezone.now()
    assigned = reassigned = 0
    with transaction.atomic():
        department = _lock_department(department_id)
        if department is None or department.assignment_mode != AssignmentMode.AUTOMATIC or not department.is_active:
            return 0, 0
        turn = _Turn(department, now)
        # Consultation queues have their own order (the host takes the next citizen).
        held = Conversation.objects.filter(
            department=department, status__in=ACTIVE_STATUSES, queue_entry__isnull=True
        )
        if department.reassign_after_minutes:
            deadline = now - datetime.timedelta(minutes=department.reassign_after_minutes)
            assignee_ids = set(held.filter(assignee__isnull=False).values_list("assignee_id", flat=True))
            gone = {
                user_id
                for user_id, since in presence.absent_since(assignee_ids, now).items()
                if since <= deadline
            }
            absent = held.filter(assignee_id__in=gone).order_by(F("waiting_since").asc(nulls_last=True), "created_at", "pk")
            for pk in absent.values_list("pk", flat=True):
                user_id = turn.pick()
                if user_id is None:
                    break
                locked = Conversation.objects.lock(pk)
                if locked is None or locked.assignee_id not in gone or locked.status not in ACTIVE_STATUSES:
                    continue
                _give(locked, user_id, turn, now)
                reassigned += 1
        for pk in (
            held.filter(assignee__isnull=True)
            .order_by(F("waiting_since").asc(nulls_last=True), "created_at", "pk")
            .values_list("pk", flat=True)
        ):
            user_id = turn.pick()
            if user_id is None:
                break
            locked = Conversation.objects.lock(pk)
            if locked is None or locked.assignee_id is not None or locked.status not in ACTIVE_STATUSES:
                continue
            _give(locked, user_id, turn, now)
            assigned += 1
        if assigned or reassigned:
            _save_turn(department)
    return assigned, reassigned


def balance(now=None, department_ids=None):
    """Balance every automatic department (or those of ``department_ids``).
    Returns ``(assigned, reassigned)`` totals."""
    departments = Department.objects.active().filter(assignment_mode=AssignmentMode.AUTOMATIC)
    if department_ids is not None:
        departments = departments.filter(pk__in=list(department_ids))
    assigned = reassigned = 0
    for department_id in departments.values_list("pk", flat=True):
        a, r = balance_department(department_id, now)
        assigned += a
        reassigned += r
    if assigned or reassigned:
        logger.info("automatic assignment: %s assigned, %s reassigned", assigned, reassigned)
    return assigned, reassigned


@task()
def balance_assignments(department_ids=None):
    """Assign waiting conversations and reassign those of absent case workers (see the
    module). ``department_ids``: only these departments. Returns ``[assigned, reassigned]``."""
    return list(balance(department_ids=department_ids))


def schedule_balance():
    """After the commit, enqueue the balance job -- at most once per
    ``ASSIGNMENT_CHECK_INTERVAL`` seconds across workers (called on staff pings)."""
    enqueue_at_most_every(balance_assignments, ASSIGNMENT_SCHEDULE_KEY, buergerchat_settings.ASSIGNMENT_CHECK_INTERVAL)


def presence_changed(user):
    """``user`` came, left or switched "away": tell the citizen widgets (availability)
    and the staff sockets (``presence`` frames), and balance their automatic departments
    once the change is committed."""
    department_ids = presence.department_ids_of(user)
    availability.broadcast(department_ids, presence_changed=True)
    presence.broadcast_presence(department_ids)
    automatic = list(
        Department.objects.filter(pk__in=department_ids, assignment_mode=AssignmentMode.AUTOMATIC).values_list(
            "pk", flat=True
        )
    )
    if automatic:
        transaction.on_commit(lambda: _enqueue_balance(automatic))


def _enqueue_balance(department_ids):
    try:
        balance_assignments.enqueue(department_ids=sorted(department_ids))
    except Exception:  # noqa: BLE001  (a presence change must not fail on the queue)
        logger.warning("the assignment job could not be enqueued", exc_info=True)


# --------------------------------------------------------------------------- the team board


@dataclass(frozen=True)
class Member:
    user: object
    name: str
    present: bool
    away: bool
    absent_since: datetime.datetime | None
    open_conversations: int


@dataclass(frozen=True)
class TeamBoard:
    department: object
    members: list
    conversations: list
    longest_waiting: object  # a Conversation or None
    capacity: int
    automatic: bool


#: How many open conversations the board lists at most (the longest-waiting first).
BOARD_LIMIT = 200


def team_board(department, now=None):
    """What the department's "Leitung" sees: who is present, how many open conversations
    each holds, the open conversations (longest-waiting citizen first)."""
    now = now or timezone.now()
    User = get_user_model()
    users = list(
        User.objects.filter(is_active=True, groups=department.group_id)
        .select_related("buergerchat_status")
        .order_by("first_name", "last_name", User.USERNAME_FIELD)
        .distinct()
    )
    online = presence.online_user_ids(department, now)
    counts = open_counts(department)
    members = []
    for user in users:
        status = getattr(user, "buergerchat_status", None)
        members.append(
            Member(
                user=user,
                name=staff_display_name(user),
                present=user.pk in online,
                away=bool(status and status.away),
                absent_since=None if user.pk in online else (status.offline_since if status else None),
                open_conversations=counts.get(user.pk, 0),
            )
        )
    # "automatic" only while the latest assignment was the automatic one (a supervisor's
    # reassignment afterwards is a person's decision).
    last_assignment = (
        Message.objects.filter(
            conversation=OuterRef("pk"), event__in=[system_events.ASSIGNED, system_events.AUTO_ASSIGNED]
        )
        .order_by("-pk")
        .values("event")[:1]
    )
    conversations = list(
        Conversation.objects.filter(department=department)
        .exclude(status=ConversationStatus.CLOSED)
        .select_related("assignee")
        .annotate(last_assignment=Subquery(last_assignment))
        .order_by(F("waiting_since").asc(nulls_last=True), "created_at", "pk")[:BOARD_LIMIT]
    )
    waiting = [c for c in conversations if c.waiting_since is not None and c.status in ACTIVE_STATUSES]
    return TeamBoard(
        department=department,
        members=members,
        conversations=conversations,
        longest_waiting=waiting[0] if waiting else None,
        capacity=department.assignment_capacity,
        automatic=department.assignment_mode == AssignmentMode.AUTOMATIC,
    )
