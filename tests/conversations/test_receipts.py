"""Typing indicators and read receipts both ways; staff names as the department says."""

import json
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from buergerchat_wagtail.conversations import payloads, receipts, services
from buergerchat_wagtail.models import Conversation, Department, ReadMarker, SenderType, StaffNameDisplay
from buergerchat_wagtail.views.public.api import SECRET_HEADER
from tests.conftest import citizen_socket, ping_pong, receive_type, staff_socket
from tests.realtime.conftest import drain

SOCKET = pytest.mark.django_db(transaction=True)


async def subscribed(open_socket, user, conversation):
    socket, _ = await staff_socket(open_socket, user)
    await socket.send_json_to({"v": 1, "type": "subscribe", "conversation": conversation.pk})
    await receive_type(socket, "ready")
    return socket


# --------------------------------------------------------------------------- typing


@SOCKET
async def test_citizen_typing_reaches_the_staff_who_opened_it(open_socket, dept_a, worker_a, start_conversation):
    conversation, secret = await sync_to_async(start_conversation)(dept_a, name="Erika Muster")
    citizen, _ = await citizen_socket(open_socket, secret)
    staff = await subscribed(open_socket, worker_a, conversation)
    await citizen.send_json_to({"v": 1, "type": "typing", "active": True})
    typing = await receive_type(staff, "typing", skip=())
    assert typing == {
        "v": 1, "type": "typing", "conversation": conversation.pk, "sender": "citizen",
        "author": "Erika Muster", "active": True, "note": False,
    }  # fmt: skip
    # The same state again within a second is not passed on (no flood); a change is.
    await citizen.send_json_to({"v": 1, "type": "typing", "active": True})
    await citizen.send_json_to({"v": 1, "type": "typing", "active": False})
    stopped = await receive_type(staff, "typing", skip=())
    assert stopped["active"] is False
    await ping_pong(citizen)
    # Typing frames get no answer; a bad one gets an error and the socket stays open.
    await citizen.send_json_to({"v": 1, "type": "typing", "active": "yes"})
    assert (await receive_type(citizen, "error", skip=()))["field"] == "active"


@SOCKET
async def test_typing_before_auth_is_refused(open_socket):
    from tests.conftest import CITIZEN_PATH

    citizen, connected, _ = await open_socket(CITIZEN_PATH)
    await citizen.send_json_to({"v": 1, "type": "typing", "active": True})
    assert (await receive_type(citizen, "error", skip=()))["code"] == "not_authenticated"
    await citizen.send_json_to({"v": 1, "type": "read", "up_to": 1})
    assert (await receive_type(citizen, "error", skip=()))["code"] == "not_authenticated"


@SOCKET
@pytest.mark.parametrize(
    "setting, expected",
    [(StaffNameDisplay.DEPARTMENT, "Bauverwaltung"), (StaffNameDisplay.FIRST, "Berta"), (StaffNameDisplay.FULL, "Berta Baumann")],
)
async def test_staff_typing_and_messages_show_the_name_the_department_allows(
    setting, expected, open_socket, dept_a, worker_a, superuser, start_conversation
):
    await sync_to_async(Department.objects.filter(pk=dept_a.pk).update)(staff_name_display=setting)
    conversation, secret = await sync_to_async(start_conversation)(dept_a)
    citizen, _ = await citizen_socket(open_socket, secret)
    staff = await subscribed(open_socket, worker_a, conversation)
    colleague = await subscribed(open_socket, superuser, conversation)
    await staff.send_json_to({"v": 1, "type": "typing", "conversation": conversation.pk, "active": True})
    typing = await receive_type(citizen, "typing", skip=())
    assert typing == {"v": 1, "type": "typing", "sender": "staff", "author": expected, "active": True}
    # Colleagues always see the full name; the typist does not get their own indicator.
    assert (await receive_type(colleague, "typing", skip=("conversation",)))["author"] == "Berta Baumann"
    await staff.send_json_to(
        {"v": 1, "type": "message", "conversation": conversation.pk, "client_id": str(uuid.uuid4()), "body": "Hallo"}
    )
    message = await receive_type(citizen, "message", skip=())
    assert message["message"]["author"] == expected
    frames = []
    while not await staff.receive_nothing(timeout=0.2):
        frames.append(await staff.receive_json_from())
    assert "typing" not in [f["type"] for f in frames]


@pytest.mark.django_db
def test_staff_name_falls_back_to_the_department_without_a_name(dept_a):
    user = get_user_model().objects.create_user(username="kuerzel.42")
    for setting in StaffNameDisplay:
        dept_a.staff_name_display = setting
        assert payloads.staff_name_for_citizen(user, dept_a) == "Bauverwaltung"
    assert payloads.staff_name_for_citizen(None, dept_a) == "Bauverwaltung"


# --------------------------------------------------------------------------- read receipts


@SOCKET
async def test_read_receipts_both_ways(open_socket, dept_a, worker_a, start_conversation):
    conversation, secret = await sync_to_async(start_conversation)(dept_a)
    citizen, ready = await citizen_socket(open_socket, secret)
    assert ready["conversation"]["read_by_staff_up_to"] == 0
    first_id = ready["messages"][0]["id"]
    staff = await subscribed(open_socket, worker_a, conversation)

    await staff.send_json_to({"v": 1, "type": "read", "conversation": conversation.pk, "up_to": first_id})
    receipt = await receive_type(citizen, "read", skip=())
    assert receipt == {"v": 1, "type": "read", "reader": "staff", "up_to": first_id}
    marker = await sync_to_async(ReadMarker.objects.get)(user=worker_a, conversation=conversation)
    assert marker.last_read_id == first_id

    await staff.send_json_to(
        {"v": 1, "type": "message", "conversation": conversation.pk, "client_id": str(uuid.uuid4()), "body": "Antwort"}
    )
    reply = (await receive_type(citizen, "message", skip=()))["message"]
    await citizen.send_json_to({"v": 1, "type": "read", "up_to": reply["id"]})
    seen = await receive_type(staff, "read", skip=("ack", "message", "conversation"))
    assert seen == {"v": 1, "type": "read", "conversation": conversation.pk, "reader": "citizen", "up_to": reply["id"]}
    stored = await sync_to_async(Conversation.objects.get)(pk=conversation.pk)
    assert stored.citizen_read_up_to == reply["id"] and stored.staff_read_up_to == first_id

    # Going back, or claiming to have read the future, changes nothing.
    await citizen.send_json_to({"v": 1, "type": "read", "up_to": first_id})
    await citizen.send_json_to({"v": 1, "type": "read", "up_to": 2**62})
    await ping_pong(citizen, skip=("conversation",))
    # No read receipt reaches staff (the reply's inbox update may still arrive: it
    # waits for the INBOX_COALESCE_MS window).
    assert [f for f in await drain(staff, timeout=0.5) if f["type"] != "conversation"] == []
    stored = await sync_to_async(Conversation.objects.get)(pk=conversation.pk)
    assert stored.citizen_read_up_to == reply["id"]


@pytest.mark.django_db
def test_read_marks_are_clamped_and_never_go_back(dept_a, worker_a, start_conversation):
    conversation, _ = start_conversation(dept_a)
    first = conversation.messages.get()
    assert receipts.mark_read_by_staff(conversation, worker_a, 10**12) == first.pk
    assert receipts.mark_read_by_staff(conversation, worker_a, 1) <= first.pk
    assert ReadMarker.objects.get(user=worker_a).last_read_id == first.pk
    note, _ = services.post_message(
        conversation=conversation, sender=SenderType.STAFF, body="Notiz", client_id=uuid.uuid4(), author=worker_a, internal=True
    )
    # Reading a note moves the staff marker, but the citizen's receipt counts citizen-visible messages only.
    receipts.mark_read_by_staff(conversation, worker_a, note.pk)
    conversation.refresh_from_db()
    assert ReadMarker.objects.get(user=worker_a).last_read_id == note.pk
    assert conversation.staff_read_up_to == first.pk
    # The citizen cannot mark an internal note as read.
    assert receipts.mark_read_by_citizen(conversation, note.pk) == first.pk


@pytest.mark.django_db
def test_citizen_read_over_http(dept_a, start_conversation):
    conversation, secret = start_conversation(dept_a)
    first = conversation.messages.get()
    url = reverse("buergerchat:buergerchat-api:post_read")
    headers = {"HTTP_" + SECRET_HEADER.upper().replace("-", "_"): secret}
    response = Client().post(url, data=json.dumps({"v": 1, "type": "read", "up_to": first.pk}), content_type="application/json", **headers)
    assert response.status_code == 200 and response.json()["up_to"] == first.pk
    assert Client().post(url, data=json.dumps({"v": 1, "type": "read", "up_to": 0}), content_type="application/json", **headers).status_code == 400
    assert Client().post(url, data="{}", content_type="application/json").status_code == 401


@pytest.mark.django_db
def test_staff_read_over_http_and_opening_the_page_reads(dept_a, worker_a, start_conversation):
    conversation, _ = start_conversation(dept_a)
    client = Client()
    client.force_login(worker_a)
    url = reverse("buergerchat_inbox:read", args=[conversation.pk])
    assert client.post(url, {"up_to": "x"}).status_code == 400
    assert client.post(url, {"up_to": "0"}).status_code == 400
    assert client.post(url, {"up_to": str(conversation.messages.get().pk)}).json()["up_to"] == conversation.messages.get().pk
    ReadMarker.objects.all().delete()
    Conversation.objects.filter(pk=conversation.pk).update(staff_read_up_to=0)
    client.get(reverse("buergerchat_inbox:conversation", args=[conversation.pk]))
    assert ReadMarker.objects.get(user=worker_a).last_read_id == conversation.messages.get().pk
    assert Conversation.objects.get(pk=conversation.pk).staff_read_up_to == conversation.messages.get().pk
