"""Every permission edge of the case worker's workplace, over the socket and over HTTP:
a case worker cannot take, assign, transfer, note, change the status of, or read
(mark read, subscribe, sync, see typing in) a conversation of a department they do
not belong to; and the checks are made again on every action."""

import json
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.urls import reverse

from buergerchat_wagtail.casework import workflow
from buergerchat_wagtail.models import Conversation, ConversationStatus, Department, Message, ReadMarker
from buergerchat_wagtail.protocol.frames import ProtocolError
from tests.conftest import citizen_socket, ping_pong, receive, staff_socket

SOCKET = pytest.mark.django_db(transaction=True)


def frames_for(conversation_id, *, colleague_id, department_id):
    """One frame of every kind a staff socket sends about one conversation."""
    return {
        "take": {"type": "take", "conversation": conversation_id},
        "assign": {"type": "assign", "conversation": conversation_id, "assignee": colleague_id},
        "unassign": {"type": "assign", "conversation": conversation_id, "assignee": None},
        "transfer": {"type": "transfer", "conversation": conversation_id, "department": department_id, "reason": "Zuständig"},
        "note": {"type": "note", "conversation": conversation_id, "client_id": str(uuid.uuid4()), "body": "Notiz"},
        "message": {"type": "message", "conversation": conversation_id, "client_id": str(uuid.uuid4()), "body": "Antwort"},
        "close": {"type": "status", "conversation": conversation_id, "status": "closed"},
        "waiting": {"type": "status", "conversation": conversation_id, "status": "waiting"},
        "read": {"type": "read", "conversation": conversation_id, "up_to": 1},
        "typing": {"type": "typing", "conversation": conversation_id, "active": True},
        "typing-note": {"type": "typing", "conversation": conversation_id, "active": True, "note": True},
        "subscribe": {"type": "subscribe", "conversation": conversation_id},
        "sync": {"type": "sync", "conversation": conversation_id, "after": 0},
    }


FRAME_KINDS = list(frames_for(1, colleague_id=1, department_id=1))


def unchanged(conversation_id, messages_before):
    conversation = Conversation.objects.get(pk=conversation_id)
    assert conversation.department.slug == "bauverwaltung"
    assert conversation.assignee_id is None
    assert conversation.status == ConversationStatus.NEW
    assert conversation.staff_read_up_to == 0
    assert Message.objects.filter(conversation_id=conversation_id).count() == messages_before
    assert not ReadMarker.objects.filter(conversation_id=conversation_id).exists()


# --------------------------------------------------------------------------- socket


@SOCKET
@pytest.mark.parametrize("kind", FRAME_KINDS)
async def test_other_department_is_refused_every_frame_over_the_socket(
    kind, open_socket, dept_a, dept_b, worker_a, worker_b, start_conversation
):
    conversation, secret = await sync_to_async(start_conversation)(dept_a)
    citizen, _ = await citizen_socket(open_socket, secret)
    outsider, _ = await staff_socket(open_socket, worker_b)
    frame = frames_for(conversation.pk, colleague_id=worker_b.pk, department_id=dept_b.pk)[kind]
    await outsider.send_json_to({"v": 1, **frame})
    answer = await receive(outsider)
    assert answer["type"] == "error" and answer["code"] == "forbidden", answer
    await ping_pong(outsider)  # the socket stays open
    await sync_to_async(unchanged)(conversation.pk, 1)
    # Nothing reached the citizen (no typing, no message, no status, no read receipt).
    assert await citizen.receive_nothing(timeout=0.3)


@SOCKET
@pytest.mark.parametrize("kind", ["take", "note", "close", "transfer", "read"])
async def test_a_conversation_that_does_not_exist_is_refused_alike(kind, open_socket, dept_b, worker_a):
    socket, _ = await staff_socket(open_socket, worker_a)
    frame = frames_for(987654, colleague_id=worker_a.pk, department_id=dept_b.pk)[kind]
    await socket.send_json_to({"v": 1, **frame})
    answer = await receive(socket)
    assert answer["code"] == "forbidden" and answer["detail"]


@SOCKET
async def test_losing_the_department_mid_socket_refuses_the_next_action(
    open_socket, dept_a, group_a, worker_a, start_conversation
):
    conversation, _ = await sync_to_async(start_conversation)(dept_a)
    socket, _ = await staff_socket(open_socket, worker_a)
    await sync_to_async(worker_a.groups.remove)(group_a)
    for frame in (
        {"type": "take", "conversation": conversation.pk},
        {"type": "note", "conversation": conversation.pk, "client_id": str(uuid.uuid4()), "body": "x"},
        {"type": "read", "conversation": conversation.pk, "up_to": 1},
    ):
        await socket.send_json_to({"v": 1, **frame})
        answer = await receive(socket, timeout=3)
        while answer["type"] != "error":  # permission broadcasts may arrive first
            answer = await receive(socket)
        assert answer["code"] == "forbidden"
    await sync_to_async(unchanged)(conversation.pk, 1)


@SOCKET
async def test_assign_to_a_colleague_of_another_department_is_refused(
    open_socket, dept_a, worker_a, worker_b, start_conversation
):
    conversation, _ = await sync_to_async(start_conversation)(dept_a)
    socket, _ = await staff_socket(open_socket, worker_a)
    for assignee in (worker_b.pk, 987654):
        await socket.send_json_to({"v": 1, "type": "assign", "conversation": conversation.pk, "assignee": assignee})
        answer = await receive(socket)
        assert answer["code"] == "invalid_assignee" and answer["field"] == "assignee"
    stored = await sync_to_async(Conversation.objects.get)(pk=conversation.pk)
    assert stored.assignee_id is None


@SOCKET
async def test_transfer_needs_an_active_other_department_and_a_reason(
    open_socket, dept_a, dept_b, worker_a, start_conversation
):
    conversation, _ = await sync_to_async(start_conversation)(dept_a)
    socket, _ = await staff_socket(open_socket, worker_a)
    await sync_to_async(Department.objects.filter(pk=dept_b.pk).update)(is_active=False)
    cases = [
        ({"department": dept_b.pk, "reason": "x"}, "invalid_department", "department"),
        ({"department": dept_a.pk, "reason": "x"}, "invalid_department", "department"),
        ({"department": 987654, "reason": "x"}, "invalid_department", "department"),
        ({"department": dept_b.pk, "reason": "   "}, "reason_required", "reason"),
        ({"department": dept_b.pk, "reason": "x" * 501}, "invalid_frame", "reason"),
        ({"department": "2", "reason": "x"}, "invalid_frame", "department"),
    ]
    for fields, code, field in cases:
        await socket.send_json_to({"v": 1, "type": "transfer", "conversation": conversation.pk, **fields})
        answer = await receive(socket)
        assert (answer["code"], answer.get("field")) == (code, field), fields
    stored = await sync_to_async(Conversation.objects.select_related("department").get)(pk=conversation.pk)
    assert stored.department.slug == "bauverwaltung"


@SOCKET
async def test_after_passing_it_on_the_old_department_can_do_nothing(
    open_socket, dept_a, dept_b, worker_a, start_conversation
):
    conversation, _ = await sync_to_async(start_conversation)(dept_a)
    socket, _ = await staff_socket(open_socket, worker_a)
    await socket.send_json_to(
        {"v": 1, "type": "transfer", "conversation": conversation.pk, "department": dept_b.pk, "reason": "Meldewesen"}
    )
    done = await receive_done(socket)
    assert done["access"] is False and done["conversation"]["department"] == "Bürgerbüro"
    for kind, frame in frames_for(conversation.pk, colleague_id=worker_a.pk, department_id=dept_a.pk).items():
        await socket.send_json_to({"v": 1, **frame})
        answer = await receive(socket)
        while answer["type"] == "conversation":
            answer = await receive(socket)
        assert answer["code"] == "forbidden", kind


async def receive_done(socket):
    while True:
        frame = await receive(socket)
        if frame["type"] == "done":
            return frame
        assert frame["type"] in ("conversation", "message", "transferred"), frame


@SOCKET
async def test_superuser_may_act_in_every_department(open_socket, dept_a, dept_b, superuser, start_conversation):
    conversation, _ = await sync_to_async(start_conversation)(dept_a)
    socket, _ = await staff_socket(open_socket, superuser)
    await socket.send_json_to({"v": 1, "type": "take", "conversation": conversation.pk})
    done = await receive_done(socket)
    assert done["conversation"]["assignee"]["id"] == superuser.pk


# --------------------------------------------------------------------------- the service re-checks


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


# --------------------------------------------------------------------------- HTTP


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def http_actions(conversation, dept_b, colleague):
    return {
        "take": ("take", {}),
        "assign": ("assign", {"assignee": colleague.pk}),
        "transfer": ("transfer", {"department": dept_b.pk, "reason": "Zuständig"}),
        "close": ("status", {"status": "closed"}),
        "read": ("read", {"up_to": 1}),
    }


HTTP_KINDS = ["take", "assign", "transfer", "close", "read"]


@pytest.mark.django_db
@pytest.mark.parametrize("kind", HTTP_KINDS)
@pytest.mark.parametrize("accept", ["text/html", "application/json"])
def test_other_department_is_refused_every_action_over_http(kind, accept, dept_a, dept_b, worker_b, start_conversation):
    conversation, _ = start_conversation(dept_a)
    name, data = http_actions(conversation, dept_b, worker_b)[kind]
    response = client_for(worker_b).post(
        reverse(f"buergerchat_inbox:{name}", args=[conversation.pk]), data, HTTP_ACCEPT=accept
    )
    assert response.status_code == 403
    assert "Ich habe eine Frage" not in response.content.decode()
    unchanged(conversation.pk, 1)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["note", "reply"])
def test_other_department_cannot_write_notes_or_replies_over_http(kind, dept_a, worker_b, start_conversation):
    conversation, _ = start_conversation(dept_a)
    response = client_for(worker_b).post(
        reverse("buergerchat_inbox:conversation", args=[conversation.pk]),
        {"kind": kind, "body": "Geheime Notiz", "client_id": str(uuid.uuid4())},
    )
    assert response.status_code == 403
    unchanged(conversation.pk, 1)


@pytest.mark.django_db
def test_other_department_cannot_read_over_http(dept_a, worker_b, start_conversation):
    conversation, _ = start_conversation(dept_a, text="Vertraulich")
    client = client_for(worker_b)
    for url in (
        reverse("buergerchat_inbox:conversation", args=[conversation.pk]),
        reverse("buergerchat_inbox:messages", args=[conversation.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 403
        assert "Vertraulich" not in response.content.decode()
    unchanged(conversation.pk, 1)  # not even marked read


@pytest.mark.django_db
@pytest.mark.parametrize("kind", HTTP_KINDS)
def test_actions_refused_for_users_without_admin_access(kind, dept_a, dept_b, worker_a, plain_user, start_conversation):
    conversation, _ = start_conversation(dept_a)
    name, data = http_actions(conversation, dept_b, worker_a)[kind]
    url = reverse(f"buergerchat_inbox:{name}", args=[conversation.pk])
    assert client_for(plain_user).post(url, data).status_code in (302, 403)
    response = Client().post(url, data)
    assert response.status_code == 302 and "login" in response["Location"]
    unchanged(conversation.pk, 1)


@pytest.mark.django_db
def test_actions_only_accept_post(dept_a, worker_a, start_conversation):
    conversation, _ = start_conversation(dept_a)
    client = client_for(worker_a)
    for name in ("take", "assign", "transfer", "status", "read"):
        assert client.get(reverse(f"buergerchat_inbox:{name}", args=[conversation.pk])).status_code == 405


@pytest.mark.django_db
def test_assign_over_http_to_another_department_is_a_form_error(dept_a, worker_a, worker_b, start_conversation):
    conversation, _ = start_conversation(dept_a)
    client = client_for(worker_a)
    url = reverse("buergerchat_inbox:assign", args=[conversation.pk])
    response = client.post(url, {"assignee": worker_b.pk})
    assert response.status_code == 400
    assert "bc-assign-assignee" in response.content.decode()
    answer = client.post(url, {"assignee": worker_b.pk}, HTTP_ACCEPT="application/json").json()
    assert answer["type"] == "error" and answer["field"] == "assignee"
    assert Conversation.objects.get(pk=conversation.pk).assignee_id is None


@pytest.mark.django_db
def test_after_passing_it_on_over_http_the_old_department_is_locked_out(dept_a, dept_b, worker_a, start_conversation):
    conversation, _ = start_conversation(dept_a)
    client = client_for(worker_a)
    response = client.post(
        reverse("buergerchat_inbox:transfer", args=[conversation.pk]),
        {"department": dept_b.pk, "reason": "Meldewesen"},
        HTTP_ACCEPT="application/json",
    )
    answer = json.loads(response.content)
    assert response.status_code == 200 and answer["type"] == "done" and answer["access"] is False
    for name, data in http_actions(conversation, dept_b, worker_a).values():
        assert client.post(reverse(f"buergerchat_inbox:{name}", args=[conversation.pk]), data).status_code == 403
    assert client.get(reverse("buergerchat_inbox:conversation", args=[conversation.pk])).status_code == 403


@pytest.mark.django_db
def test_http_action_errors_use_the_socket_codes(dept_a, dept_b, worker_a, start_conversation):
    conversation, _ = start_conversation(dept_a)
    client = client_for(worker_a)

    def post(name, data):
        response = client.post(reverse(f"buergerchat_inbox:{name}", args=[conversation.pk]), data, HTTP_ACCEPT="application/json")
        assert response.status_code == 400
        answer = response.json()
        return answer["code"], answer["field"]

    assert post("transfer", {"department": dept_b.pk, "reason": ""}) == ("reason_required", "reason")
    assert post("transfer", {"department": dept_b.pk, "reason": "  "}) == ("reason_required", "reason")
    assert post("transfer", {"department": dept_a.pk, "reason": "x"}) == ("invalid_department", "department")
    assert post("transfer", {"department": dept_b.pk, "reason": "x" * 501}) == ("invalid_frame", "reason")
    assert post("assign", {"assignee": "987654"}) == ("invalid_assignee", "assignee")
    assert post("status", {"status": "new"}) == ("invalid_frame", "status")
