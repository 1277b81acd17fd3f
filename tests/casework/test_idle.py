"""Closing inactive conversations (idle.py, workflow.close_if_idle): the server rule,
the scheduled job, the citizen's "continue chat" (``extend``) and the ping check."""

import datetime
import io
import json
import uuid

import pytest
import time_machine
from asgiref.sync import sync_to_async
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from buergerchat_wagtail.casework import idle, workflow
from buergerchat_wagtail.conversations import payloads, services, system_events
from buergerchat_wagtail.models import Conversation, ConversationStatus, SenderType
from buergerchat_wagtail.protocol.frames import CITIZEN_FRAMES, ProtocolError, parse_frame
from buergerchat_wagtail.views.public.api import SECRET_HEADER
from tests.conftest import citizen_socket, receive_type

SOCKET = pytest.mark.django_db(transaction=True)
T0 = datetime.datetime(2026, 3, 11, 9, 0, tzinfo=datetime.timezone.utc)


def say(conversation, sender, user=None, body="Text"):
    return services.post_message(conversation=conversation, sender=sender, body=body, client_id=uuid.uuid4(), author=user)


@pytest.fixture
def idle_dept(dept_a):
    dept_a.idle_close_minutes = 10
    dept_a.save()
    return dept_a


def fresh(conversation):
    return Conversation.objects.select_related("department").get(pk=conversation.pk)


@pytest.mark.django_db
def test_default_is_thirty_minutes(dept_a):
    assert dept_a.idle_close_minutes == 30


@pytest.mark.django_db
def test_clock_starts_with_a_staff_answer_and_stops_with_the_citizens_message(idle_dept, worker_a, start_conversation):
    with time_machine.travel(T0, tick=False) as traveller:
        conversation, _ = start_conversation(idle_dept)
        assert fresh(conversation).idle_close_at is None  # the citizen wrote last: nothing to close
        traveller.shift(datetime.timedelta(hours=5))
        assert idle.close_idle() == 0

        say(conversation, SenderType.STAFF, worker_a)
        answered = timezone.now()
        assert fresh(conversation).idle_close_at == answered + datetime.timedelta(minutes=10)
        traveller.shift(datetime.timedelta(minutes=9, seconds=59))
        assert idle.close_idle() == 0

        say(conversation, SenderType.CITIZEN)  # the citizen answers in time
        assert fresh(conversation).idle_close_at is None
        traveller.shift(datetime.timedelta(hours=1))
        assert idle.close_idle() == 0
        assert fresh(conversation).status != ConversationStatus.CLOSED


@pytest.mark.django_db
def test_inactive_conversation_is_closed_through_the_one_close(idle_dept, worker_a, start_conversation):
    idle_dept.archive_on_close = False
    with time_machine.travel(T0, tick=False) as traveller:
        conversation, _ = start_conversation(idle_dept)
        say(conversation, SenderType.STAFF, worker_a)
        traveller.shift(datetime.timedelta(minutes=10))
        assert idle.close_idle() == 1
        closed = fresh(conversation)
        assert closed.status == ConversationStatus.CLOSED
        assert closed.closed_at == timezone.now() and closed.idle_since is None
        event = closed.messages.filter(sender=SenderType.SYSTEM).latest("pk")
        assert event.event == system_events.CLOSED and event.event_data["idle"] is True
        citizen_data = system_events.citizen_data(system_events.CLOSED, event.event_data)
        assert citizen_data == {"idle": True, "minutes": 10}
        assert "10 Minuten" in system_events.text(system_events.CLOSED, citizen_data, "citizen")
        assert "10" in system_events.text(system_events.CLOSED, event.event_data, "staff")
        # the audit trail records the close (without a user) like every close
        assert closed.messages.filter(sender=SenderType.SYSTEM, event=system_events.CLOSED).count() == 1
        assert idle.close_idle() == 0  # closing twice changes nothing


@pytest.mark.django_db
def test_internal_notes_and_other_departments_do_not_count(idle_dept, dept_b, worker_a, start_conversation):
    dept_b.idle_close_minutes = 0  # switched off
    dept_b.save()
    with time_machine.travel(T0, tick=False) as traveller:
        mine, _ = start_conversation(idle_dept)
        services.post_message(
            conversation=mine, sender=SenderType.STAFF, body="Notiz", client_id=uuid.uuid4(), author=worker_a, internal=True
        )
        other, _ = start_conversation(dept_b)
        Conversation.objects.filter(pk=other.pk).update(idle_since=timezone.now())
        traveller.shift(datetime.timedelta(days=1))
        assert idle.close_idle() == 0
        assert fresh(other).idle_close_at is None


@pytest.mark.django_db
def test_extend_restarts_the_clock(idle_dept, worker_a, start_conversation):
    with time_machine.travel(T0, tick=False) as traveller:
        conversation, _ = start_conversation(idle_dept)
        say(conversation, SenderType.STAFF, worker_a)
        traveller.shift(datetime.timedelta(minutes=9, seconds=45))  # the widget warns now
        extended = workflow.extend_idle(conversation)
        assert extended.idle_close_at == timezone.now() + datetime.timedelta(minutes=10)
        traveller.shift(datetime.timedelta(minutes=5))
        assert idle.close_idle() == 0
        traveller.shift(datetime.timedelta(minutes=5))
        assert idle.close_idle() == 1


@pytest.mark.django_db
def test_extend_too_late_closes_and_extend_without_clock_changes_nothing(idle_dept, worker_a, start_conversation):
    with time_machine.travel(T0, tick=False) as traveller:
        conversation, _ = start_conversation(idle_dept)
        assert workflow.extend_idle(conversation).idle_since is None  # nothing pending
        say(conversation, SenderType.STAFF, worker_a)
        traveller.shift(datetime.timedelta(minutes=11))
        result = workflow.extend_idle(conversation)
        assert result.status == ConversationStatus.CLOSED
        assert fresh(conversation).status == ConversationStatus.CLOSED


def test_extend_frame_is_validated():
    frame = parse_frame('{"v": 1, "type": "extend"}', CITIZEN_FRAMES)
    assert frame.type == "extend"
    with pytest.raises(ProtocolError) as error:
        parse_frame('{"v": 1, "type": "extend", "minutes": 999}', CITIZEN_FRAMES)
    assert error.value.code == "invalid_frame"


@pytest.mark.django_db
def test_citizen_payload_tells_the_widget_when(idle_dept, worker_a, start_conversation):
    with time_machine.travel(T0, tick=False):
        conversation, _ = start_conversation(idle_dept)
        say(conversation, SenderType.STAFF, worker_a)
        data = payloads.conversation_payload(fresh(conversation), payloads.CITIZEN)
        assert data["idle_close_minutes"] == 10
        assert data["idle_close_at"].startswith("2026-03-11T09:10:00")


@pytest.mark.django_db
def test_scheduled_job_runs_at_most_once_per_interval(
    idle_dept, worker_a, start_conversation, settings, django_capture_on_commit_callbacks
):
    cache.delete(idle.IDLE_SCHEDULE_KEY)

    def schedule():
        with django_capture_on_commit_callbacks(execute=True):
            idle.schedule_idle_close()  # the immediate task backend runs the job at once

    with time_machine.travel(T0, tick=False) as traveller:
        first, _ = start_conversation(idle_dept)
        second, _ = start_conversation(idle_dept)
        say(first, SenderType.STAFF, worker_a)
        traveller.shift(datetime.timedelta(minutes=11))
        schedule()
        assert fresh(first).status == ConversationStatus.CLOSED
        Conversation.objects.filter(pk=second.pk).update(idle_since=T0)
        traveller.shift(datetime.timedelta(seconds=30))
        schedule()  # within IDLE_CHECK_INTERVAL (60 s) of the last run: not enqueued
        assert fresh(second).status != ConversationStatus.CLOSED
        traveller.shift(datetime.timedelta(seconds=31))
        schedule()
        assert fresh(second).status == ConversationStatus.CLOSED
    cache.delete(idle.IDLE_SCHEDULE_KEY)


@pytest.mark.django_db
def test_switched_off_schedule_and_the_management_command(idle_dept, worker_a, start_conversation, settings):
    cache.delete(idle.IDLE_SCHEDULE_KEY)
    settings.BUERGERCHAT = {"IDLE_CHECK_INTERVAL": 0}
    with time_machine.travel(T0, tick=False) as traveller:
        conversation, _ = start_conversation(idle_dept)
        say(conversation, SenderType.STAFF, worker_a)
        traveller.shift(datetime.timedelta(minutes=11))
        idle.schedule_idle_close()  # switched off: nothing happens
        assert fresh(conversation).status != ConversationStatus.CLOSED
        out = io.StringIO()
        call_command("buergerchat_close_idle", stdout=out)
        assert fresh(conversation).status == ConversationStatus.CLOSED
        assert out.getvalue().strip() == "1 conversation(s) closed."


@pytest.mark.django_db
def test_http_extend_answers_with_the_new_deadline(idle_dept, worker_a, start_conversation):
    conversation, secret = start_conversation(idle_dept)
    say(conversation, SenderType.STAFF, worker_a)
    headers = {"HTTP_" + SECRET_HEADER.upper().replace("-", "_"): secret}
    url = reverse("buergerchat:buergerchat-api:post_extend")
    response = Client().post(url, data=json.dumps({"v": 1, "type": "extend"}), content_type="application/json", **headers)
    assert response.status_code == 200, response.content
    frame = response.json()
    assert frame["type"] == "extended" and frame["conversation"]["idle_close_at"]
    bad = Client().post(url, data=json.dumps({"v": 1, "type": "rate"}), content_type="application/json", **headers)
    assert bad.status_code == 400
    assert Client().post(url, data="{}", content_type="application/json").status_code == 401


@SOCKET
async def test_socket_extend_is_acknowledged_and_ping_closes_when_due(open_socket, idle_dept, worker_a, start_conversation):
    conversation, secret = await sync_to_async(start_conversation)(idle_dept)
    await sync_to_async(say)(conversation, SenderType.STAFF, worker_a)
    communicator, ready = await citizen_socket(open_socket, secret)
    assert ready["conversation"]["idle_close_at"]
    await communicator.send_json_to({"v": 1, "type": "extend"})
    extended = await receive_type(communicator, "extended")
    assert extended["conversation"]["status"] != "closed" and extended["conversation"]["idle_close_at"]

    await communicator.send_json_to({"v": 1, "type": "ping"})
    await receive_type(communicator, "pong")  # not due yet: still open
    assert (await sync_to_async(fresh)(conversation)).status != ConversationStatus.CLOSED

    past = timezone.now() - datetime.timedelta(minutes=11)
    await sync_to_async(Conversation.objects.filter(pk=conversation.pk).update)(idle_since=past)
    await communicator.send_json_to({"v": 1, "type": "ping"})
    state = await receive_type(communicator, "conversation", skip=("message", "pong"))
    assert state["conversation"]["status"] == "closed" and state["conversation"]["idle_close_at"] is None
