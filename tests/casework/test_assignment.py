"""Fair assignment (casework/assignment.py): round robin among present case workers
with a capacity, reassignment after an absence, manual departments untouched, the
periodic job and its command, and two conversations started at the same moment."""

import datetime
import io

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone
from wagtail.models import ModelLogEntry

from buergerchat_wagtail.availability import presence
from buergerchat_wagtail.casework import assignment, workflow
from buergerchat_wagtail.commands import citizen as citizen_commands
from buergerchat_wagtail.conversations import audit, system_events
from buergerchat_wagtail.models import AssignmentMode, Conversation, ConversationStatus, Message, StaffStatus

pytestmark = pytest.mark.django_db
T0 = datetime.datetime(2026, 3, 11, 9, 0, tzinfo=datetime.timezone.utc)


@pytest.fixture
def auto_dept(dept_a):
    dept_a.assignment_mode = AssignmentMode.AUTOMATIC
    dept_a.assignment_capacity = 2
    dept_a.reassign_after_minutes = 10
    dept_a.save()
    return dept_a


@pytest.fixture
def team(group_a, worker_a):
    """Three case workers of the Bauverwaltung, in user id order."""
    User = get_user_model()
    second = User.objects.create_user(username="zweite", password="pw", first_name="Zora", last_name="Zweig")
    third = User.objects.create_user(username="dritte", password="pw", first_name="Dora", last_name="Dritt")
    for user in (second, third):
        user.groups.add(group_a)
    return [worker_a, second, third]


def connect(user, name=None):
    """A staff socket of ``user`` (the presence row the consumer writes)."""
    presence.register(name or f"channel-{user.pk}", user)


def disconnect(user, name=None):
    presence.unregister(name or f"channel-{user.pk}", user)


def start(department, text="Frage zum Bauantrag"):
    conversation, _secret = citizen_commands.start(department=department, text=text)
    return Conversation.objects.get(pk=conversation.pk)


def test_round_robin_among_present_workers(auto_dept, team):
    for user in team:
        connect(user)
    assignees = [start(auto_dept).assignee_id for _ in range(3)]
    assert assignees == [u.pk for u in team]
    auto_dept.refresh_from_db()
    assert auto_dept.last_auto_assignee_id == team[2].pk
    # The turn wraps around to the first one.
    assert start(auto_dept).assignee_id == team[0].pk


def test_only_present_workers_get_conversations(auto_dept, team):
    connect(team[1])
    assert {start(auto_dept).assignee_id for _ in range(2)} == {team[1].pk}
    presence.set_away(team[1], True)  # away counts as absent
    assert start(auto_dept).assignee_id is None


def test_capacity_is_respected_and_closing_frees_a_place(auto_dept, team):
    connect(team[0])
    first, second, third = (start(auto_dept) for _ in range(3))
    assert first.assignee_id == second.assignee_id == team[0].pk
    assert third.assignee_id is None  # capacity 2 reached: it waits unassigned
    workflow.set_status(first, team[0], ConversationStatus.CLOSED)
    assert assignment.balance() == (1, 0)
    assert Conversation.objects.get(pk=third.pk).assignee_id == team[0].pk


def test_auto_assignment_is_audited_and_shown_in_the_conversation(auto_dept, team):
    connect(team[0])
    conversation = start(auto_dept)
    event = Message.objects.get(conversation=conversation, event=system_events.AUTO_ASSIGNED)
    assert event.internal  # staff only
    assert event.event_data["assignee_id"] == team[0].pk
    assert "Berta Baumann" in system_events.text(event.event, event.event_data, "staff")
    entry = ModelLogEntry.objects.get(object_id=str(conversation.pk), action=audit.AUTO_ASSIGN)
    assert entry.data == {"assignee": team[0].pk, "previous": None}
    assert conversation.auto_assigned_at is not None


def test_manual_mode_is_untouched(dept_a, team):
    assert dept_a.assignment_mode == AssignmentMode.MANUAL
    for user in team:
        connect(user)
    conversation = start(dept_a)
    assert conversation.assignee_id is None
    assert assignment.balance() == (0, 0)
    assert Conversation.objects.get(pk=conversation.pk).assignee_id is None
    assert not Message.objects.filter(conversation=conversation, event=system_events.AUTO_ASSIGNED).exists()
    assert not ModelLogEntry.objects.filter(action=audit.AUTO_ASSIGN).exists()
    dept_a.refresh_from_db()
    assert dept_a.last_auto_assignee_id is None


def test_waiting_conversations_are_assigned_when_someone_becomes_present(
    auto_dept, team, django_capture_on_commit_callbacks
):
    waiting = [start(auto_dept) for _ in range(3)]
    assert all(c.assignee_id is None for c in waiting)
    # The staff socket's connect: presence_changed enqueues the job (immediate backend).
    connect(team[0])
    with django_capture_on_commit_callbacks(execute=True):
        assignment.presence_changed(team[0])
    assigned = [Conversation.objects.get(pk=c.pk).assignee_id for c in waiting]
    assert assigned == [team[0].pk, team[0].pk, None]  # the longest-waiting first, up to the capacity


def test_absent_worker_loses_open_conversations_after_the_delay(auto_dept, team):
    with time_machine.travel(T0, tick=False):
        connect(team[0])
        connect(team[1])
        mine = start(auto_dept)
        assert mine.assignee_id == team[0].pk
        disconnect(team[0])
        assert StaffStatus.objects.get(user=team[0]).offline_since == T0
    with time_machine.travel(T0 + datetime.timedelta(minutes=9), tick=False):
        presence.heartbeat(f"channel-{team[1].pk}", team[1])
        assert assignment.balance() == (0, 0)  # not yet
    with time_machine.travel(T0 + datetime.timedelta(minutes=10, seconds=1), tick=False):
        presence.heartbeat(f"channel-{team[1].pk}", team[1])
        assert assignment.balance() == (0, 1)
    mine.refresh_from_db()
    assert mine.assignee_id == team[1].pk
    event = Message.objects.filter(conversation=mine, event=system_events.AUTO_ASSIGNED).last()
    assert event.event_data["previous_id"] == team[0].pk
    assert "abwesend" in system_events.text(event.event, event.event_data, "staff") or "absent" in event.body
    entry = ModelLogEntry.objects.filter(object_id=str(mine.pk), action=audit.AUTO_ASSIGN).order_by("pk").last()
    assert entry.data == {"assignee": team[1].pk, "previous": team[0].pk}


def test_a_worker_who_returns_in_time_keeps_the_conversation(auto_dept, team):
    with time_machine.travel(T0, tick=False):
        connect(team[0])
        connect(team[1])
        mine = start(auto_dept)
        disconnect(team[0])
    with time_machine.travel(T0 + datetime.timedelta(minutes=5), tick=False):
        connect(team[0])
        connect(team[1], "channel-again")
        assert StaffStatus.objects.get(user=team[0]).offline_since is None
    with time_machine.travel(T0 + datetime.timedelta(minutes=30), tick=False):
        presence.heartbeat(f"channel-{team[0].pk}", team[0])
        presence.heartbeat("channel-again", team[1])
        assert assignment.balance() == (0, 0)
    assert Conversation.objects.get(pk=mine.pk).assignee_id == team[0].pk


def test_no_reassignment_with_zero_minutes_or_nobody_present(auto_dept, team):
    with time_machine.travel(T0, tick=False):
        connect(team[0])
        mine = start(auto_dept)
        disconnect(team[0])
    with time_machine.travel(T0 + datetime.timedelta(hours=2), tick=False):
        assert assignment.balance() == (0, 0)  # nobody present to take it
        connect(team[1])
        auto_dept.reassign_after_minutes = 0
        auto_dept.save()
        assert assignment.balance() == (0, 0)  # reassignment switched off
    assert Conversation.objects.get(pk=mine.pk).assignee_id == team[0].pk


def test_a_lost_socket_counts_as_absent_from_when_it_is_noticed(auto_dept, team, settings):
    """A worker process that died never unregisters: the row expires (PRESENCE_TIMEOUT)
    and the balance job notices the absence, counting the delay from then."""
    with time_machine.travel(T0, tick=False):
        connect(team[0])
        connect(team[1])
        mine = start(auto_dept)
    with time_machine.travel(T0 + datetime.timedelta(minutes=5), tick=False):
        presence.heartbeat(f"channel-{team[1].pk}", team[1])
        assert assignment.balance() == (0, 0)
        noticed = StaffStatus.objects.get(user=team[0]).offline_since
        assert noticed == T0 + datetime.timedelta(minutes=5)
    with time_machine.travel(T0 + datetime.timedelta(minutes=15, seconds=1), tick=False):
        presence.heartbeat(f"channel-{team[1].pk}", team[1])
        assert assignment.balance() == (0, 1)
    assert Conversation.objects.get(pk=mine.pk).assignee_id == team[1].pk


def test_closed_conversations_are_left_alone(auto_dept, team):
    connect(team[0])
    conversation = start(auto_dept)
    workflow.set_status(conversation, team[0], ConversationStatus.CLOSED)
    disconnect(team[0])
    connect(team[1])
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=1)):
        presence.heartbeat(f"channel-{team[1].pk}", team[1])
        assert assignment.balance() == (0, 0)
    assert Conversation.objects.get(pk=conversation.pk).assignee_id == team[0].pk


def test_consultation_queue_conversations_are_not_assigned(auto_dept, team):
    from buergerchat_wagtail.models import ConsultationSession
    from buergerchat_wagtail.consultations import queue

    now = timezone.now()
    session = ConsultationSession.objects.create(
        title="Sprechstunde", host="Bürgermeister", department=auto_dept,
        starts_at=now - datetime.timedelta(minutes=5), ends_at=now + datetime.timedelta(hours=1),
    )
    entry, _secret = queue.join(session, text="Frage an den Bürgermeister", consent=True)
    connect(team[0])
    assert assignment.balance() == (0, 0)
    assert Conversation.objects.get(pk=entry.conversation_id).assignee_id is None


def test_two_conversations_at_once_in_one_locked_pass(auto_dept, team):
    """Two conversations waiting when two workers with capacity 1 become present: one
    each, never both to the same one (the counts are kept while the pass runs)."""
    auto_dept.assignment_capacity = 1
    auto_dept.save()
    first, second = start(auto_dept), start(auto_dept)
    connect(team[0])
    connect(team[1])
    assert assignment.balance() == (2, 0)
    assert {Conversation.objects.get(pk=c.pk).assignee_id for c in (first, second)} == {team[0].pk, team[1].pk}


def test_the_command_runs_the_balance(auto_dept, team):
    start(auto_dept)
    connect(team[0])
    out = io.StringIO()
    call_command("buergerchat_assign", stdout=out)
    assert out.getvalue().strip() == "1 conversation(s) assigned, 0 reassigned."


def test_pings_schedule_the_job_at_most_once_per_interval(auto_dept, team, django_capture_on_commit_callbacks):
    cache.delete(assignment.ASSIGNMENT_SCHEDULE_KEY)

    def ping():
        with django_capture_on_commit_callbacks(execute=True):
            assignment.schedule_balance()  # the immediate task backend runs the job at once

    with time_machine.travel(T0, tick=False) as traveller:
        first = start(auto_dept)
        connect(team[0])
        ping()
        assert Conversation.objects.get(pk=first.pk).assignee_id == team[0].pk
        second = start(auto_dept)
        Conversation.objects.filter(pk=second.pk).update(assignee=None)
        traveller.shift(datetime.timedelta(seconds=30))
        ping()  # within ASSIGNMENT_CHECK_INTERVAL (60 s) of the last run: not enqueued
        assert Conversation.objects.get(pk=second.pk).assignee_id is None
        traveller.shift(datetime.timedelta(seconds=31))
        ping()
        assert Conversation.objects.get(pk=second.pk).assignee_id == team[0].pk
    cache.delete(assignment.ASSIGNMENT_SCHEDULE_KEY)


@pytest.mark.django_db(transaction=True)
async def test_a_staff_socket_connecting_assigns_waiting_conversations_and_tells_the_board(
    open_socket, auto_dept, team, superuser
):
    """The board's socket hears a ``presence`` frame when a case worker connects, then
    the ``conversation`` frame of the automatic assignment the connect set off."""
    from asgiref.sync import sync_to_async

    from tests.conftest import receive_type, staff_socket

    waiting = await sync_to_async(start)(auto_dept)
    board, _hello = await staff_socket(open_socket, superuser)
    await board.send_json_to({"v": 1, "type": "watch_team", "department": auto_dept.pk})
    assert await receive_type(board, "watching") == {"v": 1, "type": "watching", "department": auto_dept.pk}
    # A case worker (away: no assignments) may not watch the team and hears no presence frames.
    await sync_to_async(presence.set_away)(team[0], True)
    colleague, _hello = await staff_socket(open_socket, team[0])
    await colleague.send_json_to({"v": 1, "type": "watch_team", "department": auto_dept.pk})
    refused = await receive_type(colleague, "error", skip=("message", "availability", "conversation", "presence"))
    assert refused["code"] == "forbidden"
    await staff_socket(open_socket, team[1])
    frame = await receive_type(board, "presence", skip=("message", "availability", "conversation"))
    assert frame == {"v": 1, "type": "presence", "department": auto_dept.pk}
    update = await receive_type(board, "conversation", skip=("message", "availability", "presence"))
    assert update["conversation"]["id"] == waiting.pk
    assigned = await sync_to_async(lambda: Conversation.objects.get(pk=waiting.pk).assignee_id)()
    assert assigned == team[1].pk
    await colleague.send_json_to({"v": 1, "type": "ping"})
    frame = await receive_type(colleague, "pong", skip=("message", "availability", "conversation"))
    assert frame["type"] == "pong"  # and no "presence" frame came before it


def test_race_two_conversations_started_at_the_same_moment():
    """Real concurrency needs a database with row locks: PostgreSQL, in a process of
    its own (see tests/casework/assignment_race.py). With capacity 1 and two present
    workers, two simultaneous starts get one worker each; two more get nobody."""
    import json
    import subprocess
    import sys

    from tests.live_servers import ROOT, DemoSite, PostgresDatabase, postgres_available

    if not postgres_available():
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432 (user postgres)")
    database = PostgresDatabase()
    site = DemoSite(database_url=database.url)
    try:
        site.manage("migrate", "--noinput", "-v0")
        result = subprocess.run(
            [sys.executable, "-m", "tests.casework.assignment_race"],
            cwd=ROOT, env=site.env, capture_output=True, text=True, timeout=300,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        outcome = json.loads(result.stdout.strip().splitlines()[-1])
    finally:
        site.cleanup()
        database.drop()
    assert sorted(outcome["first"]) == sorted(outcome["workers"])
    assert outcome["second"] == [None, None]
