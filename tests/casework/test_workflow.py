"""Statuses, reopening, assignment, transfer and rating: the domain and what the
sockets hear of it."""

import datetime
import json
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from buergerchat_wagtail.casework import workflow
from buergerchat_wagtail.conversations import services
from buergerchat_wagtail.models import Conversation, ConversationStatus, Department, Message, SenderType, Transcript
from buergerchat_wagtail.protocol.frames import ProtocolError
from buergerchat_wagtail.views.public.api import SECRET_HEADER
from tests.conftest import citizen_socket, receive, receive_type, staff_socket

SOCKET = pytest.mark.django_db(transaction=True)


def citizen_says(conversation, body="Noch eine Frage"):
    return services.post_message(conversation=conversation, sender=SenderType.CITIZEN, body=body, client_id=uuid.uuid4())


def staff_says(conversation, user, body="Antwort"):
    return services.post_message(
        conversation=conversation, sender=SenderType.STAFF, body=body, client_id=uuid.uuid4(), author=user
    )


def events(conversation):
    return list(conversation.messages.filter(sender=SenderType.SYSTEM).order_by("pk").values_list("event", "internal"))


# --------------------------------------------------------------------------- the rights are checked again on the locked row


@pytest.mark.django_db
def test_services_check_again_on_the_locked_row(dept_a, dept_b, worker_a, worker_b, start_conversation):
    conversation, _ = start_conversation(dept_a)
    for call in (
        lambda: workflow.take(conversation, worker_b),
        lambda: workflow.assign(conversation, worker_b, worker_b.pk),
        lambda: workflow.transfer(conversation, worker_b, dept_b.pk, "x"),
        lambda: workflow.set_status(conversation, worker_b, "closed"),
    ):
        with pytest.raises(ProtocolError) as refused:
            call()
        assert refused.value.code == "forbidden"
    # worker_a's copy is stale: someone else passed it on meanwhile.
    stale = Conversation.objects.get(pk=conversation.pk)
    Conversation.objects.filter(pk=conversation.pk).update(department=dept_b)
    with pytest.raises(ProtocolError) as refused:
        workflow.take(stale, worker_a)
    assert refused.value.code == "forbidden"


# --------------------------------------------------------------------------- statuses


@pytest.mark.django_db
def test_status_flow_new_open_waiting_closed(dept_a, worker_a, start_conversation):
    conversation, _ = start_conversation(dept_a)
    assert conversation.status == ConversationStatus.NEW
    staff_says(conversation, worker_a)
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.OPEN
    assert conversation.first_response_at is not None and conversation.waiting_since is None
    first_response = conversation.first_response_at

    conversation = workflow.set_status(conversation, worker_a, "waiting")
    assert conversation.status == ConversationStatus.WAITING
    citizen_says(conversation)  # the citizen answers: back to "open", and waiting
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.OPEN and conversation.waiting_since is not None

    workflow.set_status(conversation, worker_a, "closed")
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.CLOSED
    assert conversation.closed_at is not None and conversation.waiting_since is None
    staff_says(conversation, worker_a, "Nachtrag")
    conversation.refresh_from_db()
    assert conversation.first_response_at == first_response  # only the first answer counts
    assert events(conversation) == [("status", True), ("closed", False)]


@pytest.mark.django_db
def test_setting_the_same_status_again_changes_nothing(dept_a, worker_a, start_conversation):
    conversation, _ = start_conversation(dept_a)
    workflow.set_status(conversation, worker_a, "closed")
    workflow.set_status(conversation, worker_a, "closed")
    assert events(conversation) == [("closed", False)]
    with pytest.raises(ProtocolError):
        workflow.set_status(conversation, worker_a, "new")


@pytest.mark.django_db
def test_staff_reopen_clears_closing(dept_a, worker_a, start_conversation):
    conversation, _ = start_conversation(dept_a)
    workflow.set_status(conversation, worker_a, "closed")
    workflow.set_status(conversation, worker_a, "open")
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.OPEN and conversation.closed_at is None
    assert events(conversation) == [("closed", False), ("reopened", True)]


@pytest.mark.django_db
def test_closing_through_the_workflow_archives_when_the_department_asks(
    dept_a, worker_a, start_conversation, django_capture_on_commit_callbacks
):
    dept_a.archive_on_close = True
    dept_a.save()
    conversation, _ = start_conversation(dept_a)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.set_status(conversation, worker_a, ConversationStatus.WAITING)
    assert not Transcript.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.set_status(conversation, worker_a, ConversationStatus.CLOSED)
    assert Transcript.objects.archived().filter(conversation=conversation).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        workflow.set_status(conversation, worker_a, ConversationStatus.CLOSED)  # already closed: nothing
    assert Transcript.objects.archived().count() == 1


# --------------------------------------------------------------------------- reopening by the citizen


@pytest.mark.django_db
def test_citizen_message_reopens_within_the_window(dept_a, worker_a, start_conversation):
    conversation, _ = start_conversation(dept_a)
    workflow.set_status(conversation, worker_a, "closed")
    Conversation.objects.filter(pk=conversation.pk).update(closed_at=timezone.now() - datetime.timedelta(days=6))
    message, created = citizen_says(conversation)
    assert created
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.OPEN and conversation.closed_at is None
    assert events(conversation)[-1] == ("reopened", True)


@pytest.mark.django_db
@pytest.mark.parametrize("window, closed_days_ago", [(7, 8), (0, 0), (1, 2)])
def test_citizen_message_after_the_window_is_refused_and_not_stored(
    window, closed_days_ago, dept_a, worker_a, start_conversation
):
    Department.objects.filter(pk=dept_a.pk).update(reopen_window_days=window)
    conversation, _ = start_conversation(Department.objects.get(pk=dept_a.pk))
    workflow.set_status(conversation, worker_a, "closed")
    Conversation.objects.filter(pk=conversation.pk).update(
        closed_at=timezone.now() - datetime.timedelta(days=closed_days_ago, minutes=1)
    )
    conversation.refresh_from_db()
    count = Message.objects.count()
    with pytest.raises(ProtocolError) as refused:
        citizen_says(conversation)
    assert refused.value.code == "conversation_closed"
    assert Message.objects.count() == count
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.CLOSED


@pytest.mark.django_db
def test_http_api_answers_409_after_the_window(dept_a, worker_a, start_conversation):
    conversation, secret = start_conversation(dept_a)
    workflow.set_status(conversation, worker_a, "closed")
    Conversation.objects.filter(pk=conversation.pk).update(closed_at=timezone.now() - datetime.timedelta(days=30))
    response = Client().post(
        reverse("buergerchat:buergerchat-api:post_message"),
        data=json.dumps({"v": 1, "type": "message", "client_id": str(uuid.uuid4()), "body": "Hallo?"}),
        content_type="application/json",
        **{"HTTP_" + SECRET_HEADER.upper().replace("-", "_"): secret},
    )
    assert response.status_code == 409
    assert response.json()["code"] == "conversation_closed"
    state = Client().get(
        reverse("buergerchat:buergerchat-api:get_conversation"),
        **{"HTTP_" + SECRET_HEADER.upper().replace("-", "_"): secret},
    ).json()["conversation"]
    assert state["status"] == "closed" and state["accepts_messages"] is False and state["can_rate"] is True


# --------------------------------------------------------------------------- rating


@pytest.mark.django_db
def test_rating_once_after_closing(dept_a, worker_a, start_conversation):
    conversation, _ = start_conversation(dept_a)
    with pytest.raises(ProtocolError) as refused:
        workflow.rate(conversation, 4)
    assert refused.value.code == "not_closed"
    workflow.set_status(conversation, worker_a, "closed")
    workflow.rate(conversation, 4, "Schnelle Hilfe")
    conversation.refresh_from_db()
    assert (conversation.rating, conversation.rating_comment) == (4, "Schnelle Hilfe")
    assert conversation.rated_at is not None
    with pytest.raises(ProtocolError) as refused:
        workflow.rate(conversation, 1)
    assert refused.value.code == "already_rated"
    assert events(conversation)[-1] == ("rated", True)


@pytest.mark.django_db
def test_rating_over_http(dept_a, worker_a, start_conversation):
    conversation, secret = start_conversation(dept_a)
    workflow.set_status(conversation, worker_a, "closed")
    headers = {"HTTP_" + SECRET_HEADER.upper().replace("-", "_"): secret}
    url = reverse("buergerchat:buergerchat-api:post_rating")

    def post(frame):
        return Client().post(url, data=json.dumps({"v": 1, "type": "rate", **frame}), content_type="application/json", **headers)

    assert post({"score": 6}).json()["field"] == "score"
    assert post({"score": "5"}).status_code == 400
    assert post({"score": 5, "comment": "x" * 1001}).json()["field"] == "comment"
    response = post({"score": 5, "comment": "  Danke!\x00 "})
    assert response.status_code == 201
    assert response.json()["conversation"]["rating"] == 5 and response.json()["conversation"]["can_rate"] is False
    assert Conversation.objects.get(pk=conversation.pk).rating_comment == "Danke!"
    assert post({"score": 3}).status_code == 409
    assert Client().post(url, data="{}", content_type="application/json").status_code == 401


@SOCKET
async def test_closing_tells_the_citizen_and_the_rating_reaches_staff(open_socket, dept_a, worker_a, start_conversation):
    conversation, secret = await sync_to_async(start_conversation)(dept_a)
    citizen, _ = await citizen_socket(open_socket, secret)
    staff, _ = await staff_socket(open_socket, worker_a)
    await staff.send_json_to({"v": 1, "type": "status", "conversation": conversation.pk, "status": "closed"})
    done = await receive_type(staff, "done", skip=("conversation",))
    assert done["conversation"]["status"] == "closed" and done["access"] is True
    closing = await receive_type(citizen, "message", skip=())
    assert closing["message"]["event"] == "closed" and closing["message"]["sender"] == "system"
    state = await receive_type(citizen, "conversation", skip=())
    assert state["conversation"]["status"] == "closed" and state["conversation"]["can_rate"] is True
    assert state["conversation"]["accepts_messages"] is True and state["conversation"]["reopen_until"]

    await citizen.send_json_to({"v": 1, "type": "rate", "score": 5, "comment": "Prima"})
    rated = await receive_type(citizen, "rated", skip=("conversation",))
    assert rated["conversation"]["rating"] == 5 and rated["conversation"]["can_rate"] is False
    summary = await receive_type(staff, "conversation", skip=())
    while summary["conversation"]["rating"] is None:
        summary = await receive_type(staff, "conversation", skip=())
    assert summary["conversation"]["rating_comment"] == "Prima"
    await citizen.send_json_to({"v": 1, "type": "rate", "score": 1})
    assert (await receive_type(citizen, "error", skip=("conversation",)))["code"] == "already_rated"


# --------------------------------------------------------------------------- assignment, seen live


@SOCKET
async def test_take_and_assign_are_seen_live_by_colleagues(
    open_socket, dept_a, group_a, worker_a, start_conversation
):
    from django.contrib.auth import get_user_model

    colleague = await sync_to_async(get_user_model().objects.create_user)(
        username="kollegin", password="pw", first_name="Klara", last_name="Kollegin"
    )
    await sync_to_async(colleague.groups.add)(group_a)
    conversation, _ = await sync_to_async(start_conversation)(dept_a)
    mine, _ = await staff_socket(open_socket, worker_a)
    theirs, _ = await staff_socket(open_socket, colleague)
    await theirs.send_json_to({"v": 1, "type": "subscribe", "conversation": conversation.pk})
    await receive_type(theirs, "ready")

    await mine.send_json_to({"v": 1, "type": "take", "conversation": conversation.pk})
    done = await receive_type(mine, "done", skip=("conversation",))
    assert done["action"] == "take" and done["conversation"]["assignee"] == {"id": worker_a.pk, "name": "Berta Baumann"}
    event = await receive_type(theirs, "message", skip=("conversation",))
    assert event["message"]["event"] == "assigned" and event["message"]["internal"] is True
    assert event["message"]["body"] == "Berta Baumann hat das Gespräch übernommen."
    summary = await receive_type(theirs, "conversation", skip=("message",))
    assert summary["conversation"]["assignee"]["name"] == "Berta Baumann"

    await mine.send_json_to({"v": 1, "type": "assign", "conversation": conversation.pk, "assignee": colleague.pk})
    done = await receive_type(mine, "done", skip=("conversation",))
    assert done["conversation"]["assignee"]["name"] == "Klara Kollegin"
    event = await receive_type(theirs, "message", skip=("conversation",))
    assert event["message"]["body"] == "Berta Baumann hat das Gespräch Klara Kollegin zugewiesen."

    await mine.send_json_to({"v": 1, "type": "assign", "conversation": conversation.pk, "assignee": None})
    done = await receive_type(mine, "done", skip=("conversation",))
    assert done["conversation"]["assignee"] is None
    stored = await sync_to_async(Conversation.objects.get)(pk=conversation.pk)
    assert stored.assignee_id is None


@pytest.mark.django_db
def test_assigning_the_same_person_again_stores_no_event(dept_a, worker_a, start_conversation):
    conversation, _ = start_conversation(dept_a)
    workflow.take(conversation, worker_a)
    workflow.take(conversation, worker_a)
    assert events(conversation) == [("assigned", True)]


@pytest.mark.django_db
def test_http_take_assign_status_without_javascript(dept_a, worker_a, start_conversation):
    conversation, _ = start_conversation(dept_a)
    client = Client()
    client.force_login(worker_a)
    page = reverse("buergerchat_inbox:conversation", args=[conversation.pk])
    response = client.post(reverse("buergerchat_inbox:take", args=[conversation.pk]))
    assert response.status_code == 302 and response["Location"] == page
    assert Conversation.objects.get(pk=conversation.pk).assignee_id == worker_a.pk
    response = client.post(reverse("buergerchat_inbox:status", args=[conversation.pk]), {"status": "waiting"})
    assert response.status_code == 302
    assert Conversation.objects.get(pk=conversation.pk).status == "waiting"
    response = client.post(reverse("buergerchat_inbox:status", args=[conversation.pk]), {"status": "nonsense"})
    assert response.status_code == 400 and "bc-status-status" in response.content.decode()
    response = client.post(reverse("buergerchat_inbox:assign", args=[conversation.pk]), {"assignee": ""})
    assert response.status_code == 302
    assert Conversation.objects.get(pk=conversation.pk).assignee_id is None
    # The page shows the history of it.
    content = client.get(page).content.decode()
    assert "Berta Baumann hat das Gespräch übernommen." in content


# --------------------------------------------------------------------------- transfer, seen live by everyone


async def frames_until(socket, types, skip=("conversation", "message")):
    """The first frame of each type in ``types``, in whatever order they come."""
    got = {}
    while set(got) != set(types):
        frame = await receive(socket)
        if frame["type"] in types:
            got.setdefault(frame["type"], frame)
        else:
            assert frame["type"] in skip, frame
    return got


@SOCKET
async def test_transfer_is_seen_live_by_the_citizen_and_both_departments(
    open_socket, dept_a, dept_b, worker_a, worker_b, superuser, start_conversation
):
    conversation, secret = await sync_to_async(start_conversation)(dept_a)
    await sync_to_async(workflow.take)(conversation, worker_a)
    citizen, _ = await citizen_socket(open_socket, secret)
    old, _ = await staff_socket(open_socket, worker_a)
    new, _ = await staff_socket(open_socket, worker_b)
    admin, _ = await staff_socket(open_socket, superuser)
    for socket in (old, admin):
        await socket.send_json_to({"v": 1, "type": "subscribe", "conversation": conversation.pk})
        await receive_type(socket, "ready")

    await old.send_json_to(
        {"v": 1, "type": "transfer", "conversation": conversation.pk, "department": dept_b.pk, "reason": "Meldewesen"}
    )
    got = await frames_until(old, {"transferred", "done"})
    transferred, done = got["transferred"], got["done"]
    assert transferred["access"] is False
    assert transferred["to_department"] == {"id": dept_b.pk, "name": "Bürgerbüro"}
    assert "Meldewesen" in transferred["message"]["body"]
    assert done["access"] is False and done["conversation"]["assignee"] is None

    # The new department's inbox hears of it at once.
    arrived = await receive_type(new, "conversation", skip=())
    assert arrived["conversation"]["id"] == conversation.pk and arrived["conversation"]["department"] == "Bürgerbüro"
    # A superuser who had it open keeps it, now in the new department.
    kept = await receive_type(admin, "transferred", skip=("conversation", "message"))
    assert kept["access"] is True

    # The citizen is told in the chat, and sees the new department.
    told = await receive_type(citizen, "message", skip=())
    assert told["message"]["sender"] == "system" and "Bürgerbüro" in told["message"]["body"]
    assert "Meldewesen" not in json.dumps(told)
    state = await receive_type(citizen, "conversation", skip=())
    assert state["conversation"]["department"] == "Bürgerbüro"

    # From now on the citizen's messages go to the new department, not to the old one.
    await new.send_json_to({"v": 1, "type": "subscribe", "conversation": conversation.pk})
    await receive_type(new, "ready", skip=("conversation",))
    while not await old.receive_nothing(timeout=0.2):  # what the old side heard of the transfer
        assert (await receive(old))["type"] == "conversation"
    await citizen.send_json_to({"v": 1, "type": "message", "client_id": str(uuid.uuid4()), "body": "Danke fürs Weiterleiten"})
    live = await receive_type(new, "message", skip=("conversation",))
    assert live["message"]["body"] == "Danke fürs Weiterleiten"
    assert await old.receive_nothing(timeout=0.3)
