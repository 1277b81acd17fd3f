"""Internal notes (and internal events, and a transfer's reason) reach staff only: a
citizen never receives them – not over the socket (live or on sync), not over the
HTTP API, not in the transcript source that PDFs are made from."""

import json
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.urls import reverse

from buergerchat_wagtail.casework import workflow
from buergerchat_wagtail.conversations import payloads, services
from buergerchat_wagtail.conversations.visibility import citizen_transcript, citizen_visible
from buergerchat_wagtail.models import Message, SenderType
from buergerchat_wagtail.views.public.api import SECRET_HEADER
from tests.conftest import citizen_socket, ping_pong, receive, receive_type, staff_socket

NOTE = "NOTIZ-nur-intern: Bürger wirkt verärgert"
REASON = "GRUND-nur-intern: gehört zum Meldewesen"


def write_note(conversation, author, body=NOTE):
    return services.post_message(
        conversation=conversation, sender=SenderType.STAFF, body=body, client_id=uuid.uuid4(), author=author, internal=True
    )[0]


def everything_a_citizen_gets(conversation, secret):
    """Every citizen-facing view of a conversation, as text."""
    api = Client()
    headers = {"HTTP_" + SECRET_HEADER.upper().replace("-", "_"): secret}
    parts = [
        api.get(reverse("buergerchat:buergerchat-api:get_conversation"), **headers).content.decode(),
        api.get(reverse("buergerchat:buergerchat-api:get_messages"), **headers).content.decode(),
        json.dumps(payloads.messages_payload(services.citizen_messages_after(conversation), payloads.CITIZEN, conversation)),
        " ".join(m.body for m in citizen_transcript(conversation)),
        json.dumps([payloads.message_payload(m, payloads.CITIZEN) for m in citizen_transcript(conversation)]),
    ]
    return "\n".join(parts)


# --------------------------------------------------------------------------- the rule


@pytest.mark.django_db
def test_citizen_visible_filters_querysets_and_lists_alike(dept_a, worker_a, start_conversation):
    conversation, _ = start_conversation(dept_a)
    note = write_note(conversation, worker_a)
    reply, _ = services.post_message(
        conversation=conversation, sender=SenderType.STAFF, body="Antwort", client_id=uuid.uuid4(), author=worker_a
    )
    all_messages = list(conversation.messages.order_by("pk"))
    assert note in all_messages
    assert note not in citizen_visible(conversation.messages.all())
    assert note not in citizen_visible(all_messages)
    assert reply in citizen_visible(all_messages)
    assert [m.pk for m in citizen_visible(conversation.messages.order_by("pk"))] == [
        m.pk for m in citizen_visible(all_messages)
    ]


@pytest.mark.django_db
def test_a_citizen_payload_is_never_built_for_an_internal_message(dept_a, worker_a, start_conversation):
    conversation, _ = start_conversation(dept_a)
    note = write_note(conversation, worker_a)
    with pytest.raises(ValueError):
        payloads.message_payload(note, payloads.CITIZEN)
    # A list payload for the citizen drops it instead (belt and braces).
    assert NOTE not in json.dumps(payloads.messages_payload([note], payloads.CITIZEN, conversation))
    assert payloads.message_payload(note, payloads.STAFF)["internal"] is True


@pytest.mark.django_db
def test_transcript_source_has_no_notes_no_internal_events_no_reason(dept_a, dept_b, worker_a, start_conversation):
    conversation, _ = start_conversation(dept_a, text="Mein Anliegen")
    write_note(conversation, worker_a)
    workflow.take(conversation, worker_a)
    services.post_message(
        conversation=conversation, sender=SenderType.STAFF, body="Öffentliche Antwort", client_id=uuid.uuid4(), author=worker_a
    )
    workflow.transfer(conversation, worker_a, dept_b.pk, REASON)
    transcript = citizen_transcript(conversation)
    assert [m.sender for m in transcript] == ["citizen", "staff", "system"]
    assert all(not m.internal for m in transcript)
    text = " ".join(payloads.display_body(m, payloads.CITIZEN) for m in transcript)
    assert "Öffentliche Antwort" in text and "Bürgerbüro" in text
    assert NOTE not in text and REASON not in text and "took" not in text
    # The staff see all of it.
    staff_text = " ".join(payloads.display_body(m, payloads.STAFF) for m in conversation.messages.order_by("pk"))
    assert NOTE in staff_text and REASON in staff_text


# --------------------------------------------------------------------------- HTTP


@pytest.mark.django_db
def test_http_api_never_returns_a_note(dept_a, dept_b, worker_a, start_conversation):
    conversation, secret = start_conversation(dept_a)
    write_note(conversation, worker_a)
    workflow.assign(conversation, worker_a, worker_a.pk)
    workflow.transfer(conversation, worker_a, dept_b.pk, REASON)
    text = everything_a_citizen_gets(conversation, secret)
    assert NOTE not in text
    assert REASON not in text
    assert "Berta" not in text  # internal events name staff; the department shows no names
    assert "Bürgerbüro" in text  # the citizen is told where it went


@pytest.mark.django_db
def test_note_posted_through_the_admin_form_stays_internal(dept_a, worker_a, start_conversation):
    conversation, secret = start_conversation(dept_a)
    client = Client()
    client.force_login(worker_a)
    response = client.post(
        reverse("buergerchat_inbox:conversation", args=[conversation.pk]),
        {"kind": "note", "body": NOTE, "client_id": str(uuid.uuid4())},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 201 and response.json()["message"]["internal"] is True
    # Message bodies are encrypted at rest: no database lookup on them.
    [note] = [m for m in Message.objects.all() if m.body == NOTE]
    assert note.internal and note.sender == SenderType.STAFF
    assert NOTE not in everything_a_citizen_gets(conversation, secret)
    # A note answers nobody: the citizen still waits, the status stays "new".
    conversation.refresh_from_db()
    assert conversation.status == "new" and conversation.waiting_since is not None
    assert conversation.first_response_at is None
    # Staff see it, marked as a note.
    page = client.get(reverse("buergerchat_inbox:conversation", args=[conversation.pk])).content.decode()
    assert NOTE in page and "bc-thread__message--internal" in page


# --------------------------------------------------------------------------- socket

SOCKET = pytest.mark.django_db(transaction=True)


async def all_frames(communicator, timeout=0.4):
    frames = []
    while not await communicator.receive_nothing(timeout=timeout):
        frames.append(await communicator.receive_json_from())
    return frames


@SOCKET
async def test_live_note_reaches_colleagues_but_never_the_citizen(
    open_socket, dept_a, worker_a, superuser, start_conversation
):
    conversation, secret = await sync_to_async(start_conversation)(dept_a)
    citizen, _ = await citizen_socket(open_socket, secret)
    writer, _ = await staff_socket(open_socket, worker_a)
    colleague, _ = await staff_socket(open_socket, superuser)
    for socket in (writer, colleague):
        await socket.send_json_to({"v": 1, "type": "subscribe", "conversation": conversation.pk})
        await receive_type(socket, "ready")
    # Typing a note is not shown to the citizen either.
    await writer.send_json_to({"v": 1, "type": "typing", "conversation": conversation.pk, "active": True, "note": True})
    typing = await receive_type(colleague, "typing", skip=("conversation",))
    assert typing["note"] is True and typing["author"] == "Berta Baumann"
    client_id = str(uuid.uuid4())
    await writer.send_json_to({"v": 1, "type": "note", "conversation": conversation.pk, "client_id": client_id, "body": NOTE})
    ack = await receive_type(writer, "ack", skip=("message", "conversation"))
    assert ack["message"]["internal"] is True and ack["message"]["body"] == NOTE
    live = await receive_type(colleague, "message", skip=("conversation",))
    assert live["message"]["body"] == NOTE and live["message"]["internal"] is True
    # The citizen got nothing at all: no typing, no message, no inbox summary.
    frames = await all_frames(citizen)
    assert frames == [], frames
    # And a resync brings nothing either.
    await citizen.send_json_to({"v": 1, "type": "sync", "after": 0})
    synced = await receive(citizen)
    assert NOTE not in json.dumps(synced)
    # A fresh citizen socket's ready frame neither.
    again, ready = await citizen_socket(open_socket, secret)
    assert NOTE not in json.dumps(ready)
    await ping_pong(again)


@SOCKET
async def test_transfer_reason_and_internal_events_never_reach_the_citizen_socket(
    open_socket, dept_a, dept_b, worker_a, start_conversation
):
    conversation, secret = await sync_to_async(start_conversation)(dept_a)
    citizen, _ = await citizen_socket(open_socket, secret)
    staff, _ = await staff_socket(open_socket, worker_a)
    for frame in (
        {"type": "take", "conversation": conversation.pk},
        {"type": "status", "conversation": conversation.pk, "status": "waiting"},
        {"type": "transfer", "conversation": conversation.pk, "department": dept_b.pk, "reason": REASON},
    ):
        await staff.send_json_to({"v": 1, **frame})
        await receive_type(staff, "done", skip=("conversation", "message", "transferred"))
    frames = await all_frames(citizen)
    text = json.dumps(frames, ensure_ascii=False)
    assert REASON not in text and "Berta" not in text and "took" not in text
    messages = [f["message"] for f in frames if f["type"] == "message"]
    assert [m["event"] for m in messages] == ["transferred"]
    assert messages[0]["event_data"] == {"to": "Bürgerbüro"}
    assert "Bürgerbüro" in messages[0]["body"]
