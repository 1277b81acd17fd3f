"""The citizen WebSocket consumer, driven through the same ASGI stack as demo_site/asgi.py:
authentication by secret, refused frames, messages both ways, sync and failures."""

import json
import uuid

import pytest
from asgiref.sync import sync_to_async

from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.models import Conversation, Message, SenderType
from buergerchat_wagtail.realtime import consumers
from tests.conftest import CITIZEN_PATH, citizen_socket, ping_pong, receive, receive_type, send_raw, staff_socket
from tests.realtime.conftest import count_messages, drain, message_frame

pytestmark = pytest.mark.django_db(transaction=True)


# --------------------------------------------------------------------------- citizen: authentication


async def test_citizen_auth_with_right_secret_gets_ready(open_socket, conversation_a):
    conversation, secret = conversation_a
    citizen, ready = await citizen_socket(open_socket, secret)
    assert ready["v"] == 1
    assert ready["conversation"]["reference"] == conversation.reference
    assert ready["conversation"]["subject"] == "Frage zum Bauantrag"
    assert ready["conversation"]["department"] == "Bauverwaltung"
    assert ready["conversation"]["greeting"] == "Guten Tag! Die Bauverwaltung ist für Sie da."
    # Citizens never see staff-only data.
    assert "id" not in ready["conversation"]
    assert "citizen_name" not in ready["conversation"]
    assert len(ready["messages"]) == 1
    first = ready["messages"][0]
    assert first["sender"] == "citizen"
    assert first["body"] == "Frage zum Bauantrag\nmit Details"


async def test_citizen_wrong_secret_gets_error_and_socket_stays_open(open_socket, conversation_a):
    citizen, connected, _ = await open_socket(CITIZEN_PATH)
    assert connected
    await citizen.send_json_to({"v": 1, "type": "auth", "secret": "not-the-secret"})
    frame = await receive(citizen)
    assert frame["type"] == "error"
    assert frame["code"] == "auth_failed"
    await ping_pong(citizen)
    # Still not authenticated: a message is refused.
    await citizen.send_json_to(message_frame("Hallo"))
    frame = await receive(citizen)
    assert frame["code"] == "not_authenticated"
    # And the right secret still works afterwards.
    await citizen.send_json_to({"v": 1, "type": "auth", "secret": conversation_a[1]})
    assert (await receive(citizen))["type"] == "ready"


async def test_citizen_too_many_wrong_secrets_close_with_4429(open_socket, conversation_a):
    citizen, connected, _ = await open_socket(CITIZEN_PATH)
    assert connected
    limit = buergerchat_settings.MAX_AUTH_FAILURES
    for attempt in range(1, limit):
        await citizen.send_json_to({"v": 1, "type": "auth", "secret": f"wrong-{attempt}"})
        frame = await receive(citizen)
        assert frame["code"] == "auth_failed"
    # Below the limit the socket is still open.
    await ping_pong(citizen)
    await citizen.send_json_to({"v": 1, "type": "auth", "secret": "wrong-last"})
    frame = await receive(citizen)
    assert frame["type"] == "error" and frame["code"] == "auth_failed"
    closed = await citizen.receive_output(timeout=3)
    assert closed["type"] == "websocket.close"
    assert closed["code"] == consumers.CLOSE_TOO_MANY_FAILURES == 4429


async def test_citizen_message_before_auth_is_refused(open_socket, conversation_a):
    citizen, connected, _ = await open_socket(CITIZEN_PATH)
    assert connected
    await citizen.send_json_to(message_frame("Hallo"))
    frame = await receive(citizen)
    assert frame["type"] == "error"
    assert frame["code"] == "not_authenticated"
    await citizen.send_json_to({"v": 1, "type": "sync", "after": 0})
    assert (await receive(citizen))["code"] == "not_authenticated"
    await ping_pong(citizen)
    assert await count_messages() == 1  # only the opening message of the fixture


async def test_foreign_origin_is_refused(open_socket, conversation_a):
    citizen, connected, _ = await open_socket(CITIZEN_PATH, origin=(b"origin", b"http://evil.example"))
    assert not connected


async def test_missing_origin_is_refused(open_socket, conversation_a):
    citizen, connected, _ = await open_socket(CITIZEN_PATH, origin=None)
    assert not connected


# --------------------------------------------------------------------------- citizen: bad frames

TOO_LONG = "x" * 4001


@pytest.mark.parametrize(
    ("raw", "code", "field"),
    [
        pytest.param("{not json", "invalid_json", None, id="malformed-json"),
        pytest.param("[1, 2, 3]", "invalid_frame", None, id="json-array"),
        pytest.param('"ping"', "invalid_frame", None, id="json-string"),
        pytest.param(json.dumps({"v": 2, "type": "ping"}), "unsupported_version", None, id="wrong-version"),
        pytest.param(json.dumps({"type": "ping"}), "unsupported_version", None, id="no-version"),
        pytest.param(json.dumps({"v": 1, "type": "dance"}), "unknown_type", None, id="unknown-type"),
        pytest.param(json.dumps({"v": 1, "type": "subscribe", "conversation": 1}), "unknown_type", None, id="staff-type"),
        pytest.param(json.dumps({"v": 1, "type": "message", "body": "Hallo"}), "invalid_frame", "client_id", id="missing-client-id"),
        pytest.param(json.dumps({"v": 1, "type": "message", "client_id": str(uuid.uuid4())}), "invalid_frame", "body", id="missing-body"),
        pytest.param(json.dumps({"v": 1, "type": "message", "client_id": "nope", "body": "x"}), "invalid_frame", "client_id", id="bad-client-id"),
        pytest.param(json.dumps({"v": 1, "type": "message", "client_id": str(uuid.uuid4()), "body": 42}), "invalid_frame", "body", id="body-not-string"),
        pytest.param(json.dumps({"v": 1, "type": "sync", "after": -1}), "invalid_frame", "after", id="negative-after"),
        pytest.param(json.dumps({"v": 1, "type": "sync", "after": "5"}), "invalid_frame", "after", id="text-after"),
        pytest.param(json.dumps({"v": 1, "type": "ping", "extra": 1}), "invalid_frame", "extra", id="extra-field"),
        pytest.param(json.dumps(message_frame(TOO_LONG)), "message_too_long", "body", id="too-long-4001"),
        pytest.param(json.dumps(message_frame("")), "message_empty", "body", id="empty"),
        pytest.param(json.dumps(message_frame("  \n\t \r\n ")), "message_empty", "body", id="whitespace"),
        pytest.param(json.dumps(message_frame("\x00\x00")), "message_empty", "body", id="only-nul"),
    ],
)
async def test_citizen_bad_frame_gets_error_and_connection_is_kept(open_socket, conversation_a, raw, code, field):
    conversation, secret = conversation_a
    citizen, _ = await citizen_socket(open_socket, secret)
    await send_raw(citizen, raw)
    frame = await receive(citizen)
    assert frame["v"] == 1
    assert frame["type"] == "error"
    assert frame["code"] == code
    assert frame["detail"]
    if field is not None:
        assert frame["field"] == field
    await ping_pong(citizen)
    # A valid message still works after the error.
    client_id = uuid.uuid4()
    await citizen.send_json_to(message_frame("Jetzt aber richtig", client_id))
    ack = await receive_type(citizen, "ack")
    assert ack["client_id"] == str(client_id)
    assert ack["duplicate"] is False
    assert ack["message"]["body"] == "Jetzt aber richtig"
    # Nothing of the refused frame was stored.
    assert await count_messages(conversation=conversation) == 2


async def test_refused_message_names_its_client_id(open_socket, conversation_a):
    citizen, _ = await citizen_socket(open_socket, conversation_a[1])
    client_id = uuid.uuid4()
    await citizen.send_json_to(message_frame(TOO_LONG, client_id))
    frame = await receive(citizen)
    assert frame["code"] == "message_too_long"
    assert frame["ref"] == str(client_id)


async def test_citizen_binary_frame_is_refused(open_socket, conversation_a):
    citizen, _ = await citizen_socket(open_socket, conversation_a[1])
    await citizen.send_to(bytes_data=json.dumps(message_frame("binär")).encode())
    frame = await receive(citizen)
    assert frame["type"] == "error"
    assert frame["code"] == "binary_not_supported"
    await ping_pong(citizen)
    assert await count_messages() == 1


async def test_citizen_frame_over_max_frame_bytes_is_refused(open_socket, conversation_a):
    citizen, _ = await citizen_socket(open_socket, conversation_a[1])
    limit = buergerchat_settings.MAX_FRAME_BYTES
    frame = json.dumps(message_frame("y"))
    padded = frame[:-1] + " " * (limit - len(frame) + 1) + "}"
    assert len(padded.encode()) == limit + 1
    await send_raw(citizen, padded)
    error = await receive(citizen)
    assert error["code"] == "frame_too_large"
    # Multi-byte text counts in bytes, not characters.
    umlauts = json.dumps(message_frame("ä" * (limit // 2)), ensure_ascii=False)
    assert len(umlauts) < limit < len(umlauts.encode())
    await send_raw(citizen, umlauts)
    assert (await receive(citizen))["code"] == "frame_too_large"
    await ping_pong(citizen)
    await citizen.send_json_to(message_frame("kurz"))
    assert (await receive_type(citizen, "ack"))["message"]["body"] == "kurz"


async def test_message_of_exactly_max_length_is_accepted(open_socket, conversation_a):
    citizen, _ = await citizen_socket(open_socket, conversation_a[1])
    body = "z" * 4000
    await citizen.send_json_to(message_frame(body))
    ack = await receive_type(citizen, "ack")
    assert ack["message"]["body"] == body


async def test_stored_body_is_cleaned(open_socket, conversation_a):
    conversation, secret = conversation_a
    citizen, _ = await citizen_socket(open_socket, secret)
    await citizen.send_json_to(message_frame("  Zeile 1\r\nZei\x00le 2  "))
    ack = await receive_type(citizen, "ack")
    assert ack["message"]["body"] == "Zeile 1\nZeile 2"
    stored = await sync_to_async(lambda: Message.objects.get(pk=ack["message"]["id"]).body)()
    assert stored == "Zeile 1\nZeile 2"


# --------------------------------------------------------------------------- citizen <-> staff


async def test_idempotent_resend(open_socket, conversation_a, worker_a):
    conversation, secret = conversation_a
    staff, _ = await staff_socket(open_socket, worker_a)
    citizen, _ = await citizen_socket(open_socket, secret)
    await staff.send_json_to({"v": 1, "type": "subscribe", "conversation": conversation.pk})
    assert (await receive(staff))["type"] == "ready"

    client_id = uuid.uuid4()
    await citizen.send_json_to(message_frame("Einmal bitte", client_id))
    first = await receive_type(citizen, "ack")
    assert first["duplicate"] is False
    await citizen.send_json_to(message_frame("Einmal bitte", client_id))
    second = await receive_type(citizen, "ack")
    assert second["duplicate"] is True
    assert second["message"]["id"] == first["message"]["id"]
    assert second["client_id"] == str(client_id)

    assert await count_messages(conversation=conversation, client_id=client_id) == 1
    staff_frames = await drain(staff)
    delivered = [f for f in staff_frames if f["type"] == "message"]
    # A resend is notified again (its first notification may have been lost);
    # it is the same stored message, which clients show once by id.
    assert {f["message"]["id"] for f in delivered} == {first["message"]["id"]}
    assert len(delivered) == 2
    assert delivered[0]["conversation"] == conversation.pk
    assert delivered[0]["message"]["body"] == "Einmal bitte"


async def test_resend_with_same_client_id_but_other_text_keeps_the_first(open_socket, conversation_a):
    conversation, secret = conversation_a
    citizen, _ = await citizen_socket(open_socket, secret)
    client_id = uuid.uuid4()
    await citizen.send_json_to(message_frame("Original", client_id))
    first = await receive_type(citizen, "ack")
    await citizen.send_json_to(message_frame("Geändert", client_id))
    second = await receive_type(citizen, "ack")
    assert second["duplicate"] is True
    assert second["message"]["body"] == "Original" == first["message"]["body"]
    assert await count_messages(conversation=conversation) == 2


async def test_ordering_of_a_burst(open_socket, conversation_a, worker_a):
    conversation, secret = conversation_a
    staff, _ = await staff_socket(open_socket, worker_a)
    citizen, _ = await citizen_socket(open_socket, secret)
    await staff.send_json_to({"v": 1, "type": "subscribe", "conversation": conversation.pk})
    assert (await receive(staff))["type"] == "ready"

    client_ids = [uuid.uuid4() for _ in range(20)]
    for number, client_id in enumerate(client_ids):
        await citizen.send_json_to(message_frame(f"Nachricht {number}", client_id))
    acks = []
    while len(acks) < 20:
        acks.append(await receive_type(citizen, "ack", timeout=5))
    assert [a["client_id"] for a in acks] == [str(c) for c in client_ids]
    ids = [a["message"]["id"] for a in acks]
    assert all(a < b for a, b in zip(ids, ids[1:])), ids
    assert [a["message"]["body"] for a in acks] == [f"Nachricht {n}" for n in range(20)]

    received = []
    while len(received) < 20:
        frame = await receive(staff, timeout=5)
        if frame["type"] == "message":
            received.append(frame["message"]["id"])
        else:
            assert frame["type"] == "conversation", frame
    assert received == ids
    stored = await sync_to_async(
        lambda: list(conversation.messages.order_by("pk").values_list("body", flat=True))
    )()
    assert stored[1:] == [f"Nachricht {n}" for n in range(20)]


async def test_live_delivery_both_ways(open_socket, conversation_a, worker_a):
    conversation, secret = conversation_a
    staff, _ = await staff_socket(open_socket, worker_a)
    citizen, _ = await citizen_socket(open_socket, secret)
    await staff.send_json_to({"v": 1, "type": "subscribe", "conversation": conversation.pk})
    ready = await receive(staff)
    assert ready["type"] == "ready"
    assert ready["conversation"]["id"] == conversation.pk
    assert [m["body"] for m in ready["messages"]] == ["Frage zum Bauantrag\nmit Details"]

    # Citizen -> staff
    await citizen.send_json_to(message_frame("Ist jemand da?"))
    ack = await receive_type(citizen, "ack")
    live = await receive_type(staff, "message", skip=("conversation",))
    assert live["conversation"] == conversation.pk
    assert live["message"]["id"] == ack["message"]["id"]
    assert live["message"]["body"] == "Ist jemand da?"
    assert live["message"]["sender"] == "citizen"

    # Staff -> citizen
    reply_id = uuid.uuid4()
    await staff.send_json_to(
        {"v": 1, "type": "message", "conversation": conversation.pk, "client_id": str(reply_id), "body": "Ja, hier."}
    )
    staff_ack = await receive_type(staff, "ack", skip=("conversation", "message"))
    assert staff_ack["conversation"] == conversation.pk
    assert staff_ack["duplicate"] is False
    assert staff_ack["message"]["author"] == "Berta Baumann"
    while True:
        to_citizen = await receive_type(citizen, "message", skip=())
        if to_citizen["message"]["id"] != ack["message"]["id"]:  # not the echo of its own message
            break
    assert to_citizen["message"]["id"] == staff_ack["message"]["id"]
    assert to_citizen["message"]["body"] == "Ja, hier."
    assert to_citizen["message"]["sender"] == "staff"
    # The citizen sees the department, not the case worker's name.
    assert to_citizen["message"]["author"] == "Bauverwaltung"
    assert "conversation" not in to_citizen

    stored = await sync_to_async(
        lambda: Message.objects.select_related("author").get(pk=staff_ack["message"]["id"])
    )()
    assert stored.sender == SenderType.STAFF
    assert stored.author_id == worker_a.pk


async def test_citizen_sync_after_returns_only_newer(open_socket, conversation_a):
    conversation, secret = conversation_a
    citizen, ready = await citizen_socket(open_socket, secret)
    first_id = ready["messages"][0]["id"]
    for text in ("zwei", "drei"):
        await citizen.send_json_to(message_frame(text))
        await receive_type(citizen, "ack")
    await drain(citizen, timeout=0.3)

    await citizen.send_json_to({"v": 1, "type": "sync", "after": first_id})
    frame = await receive_type(citizen, "messages")
    assert [m["body"] for m in frame["messages"]] == ["zwei", "drei"]
    assert all(m["id"] > first_id for m in frame["messages"])

    await citizen.send_json_to({"v": 1, "type": "sync", "after": frame["messages"][-1]["id"]})
    assert (await receive_type(citizen, "messages"))["messages"] == []

    # ``after`` on auth does the same.
    again, ready_again = await citizen_socket(open_socket, secret, after=first_id)
    assert [m["body"] for m in ready_again["messages"]] == ["zwei", "drei"]


async def test_citizen_only_hears_its_own_conversation(open_socket, dept_a, start_conversation):
    _conv_one, secret_one = await sync_to_async(start_conversation)(dept_a, text="Eins")
    _conv_two, secret_two = await sync_to_async(start_conversation)(dept_a, text="Zwei")
    one, _ = await citizen_socket(open_socket, secret_one)
    two, _ = await citizen_socket(open_socket, secret_two)
    await one.send_json_to(message_frame("Geheim von eins"))
    await receive_type(one, "ack")
    assert await drain(two) == []


# --------------------------------------------------------------------------- failures and state


async def test_database_failure_gives_retryable_error_with_ref(open_socket, conversation_a, monkeypatch):
    from django.db import OperationalError

    from buergerchat_wagtail.conversations import services

    def broken(**kwargs):
        raise OperationalError("database is locked")

    citizen, _ = await citizen_socket(open_socket, conversation_a[1])
    with monkeypatch.context() as patch:
        patch.setattr(services, "post_message", broken)
        client_id = uuid.uuid4()
        await citizen.send_json_to(message_frame("Geht das?", client_id))
        frame = await receive(citizen)
    assert frame["type"] == "error"
    assert frame["code"] == "unavailable"
    assert frame["ref"] == str(client_id)
    # The client retries with the same client id once the database is back.
    await citizen.send_json_to(message_frame("Geht das?", client_id))
    ack = await receive_type(citizen, "ack")
    assert ack["duplicate"] is False
    assert await count_messages(client_id=client_id) == 1


async def test_unexpected_failure_gives_server_error_and_keeps_socket(open_socket, conversation_a, monkeypatch):
    from buergerchat_wagtail.conversations import services

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "post_message", broken)
    citizen, _ = await citizen_socket(open_socket, conversation_a[1])
    client_id = uuid.uuid4()
    await citizen.send_json_to(message_frame("Hallo", client_id))
    frame = await receive(citizen)
    assert frame["code"] == "server_error"
    assert frame["ref"] == str(client_id)
    assert "boom" not in frame["detail"]
    await ping_pong(citizen, skip=())


async def test_citizen_message_reopens_a_closed_conversation(open_socket, conversation_a, worker_a):
    """The socket keeps its copy of the conversation for hours: the status it acts on
    must be the stored one."""
    from buergerchat_wagtail.conversations import services
    from buergerchat_wagtail.models import ConversationStatus

    conversation, secret = conversation_a
    citizen, _ = await citizen_socket(open_socket, secret)
    def answer_and_close():
        services.post_message(
            conversation=Conversation.objects.get(pk=conversation.pk),
            sender=SenderType.STAFF,
            body="Erledigt.",
            client_id=uuid.uuid4(),
            author=worker_a,
        )
        Conversation.objects.filter(pk=conversation.pk).update(status=ConversationStatus.CLOSED)

    await sync_to_async(answer_and_close)()
    await citizen.send_json_to(message_frame("Doch noch eine Frage"))
    # The answer's broadcasts (message, conversation state) may arrive before the ack.
    await receive_type(citizen, "ack", skip=("message", "conversation"))
    stored = await sync_to_async(Conversation.objects.get)(pk=conversation.pk)
    assert stored.status == ConversationStatus.OPEN
    assert stored.waiting_since is not None


# --------------------------------------------------------------------------- citizen: presence (e-mail notices)


async def test_an_open_citizen_socket_counts_as_connected_until_it_closes(open_socket, conversation_a):
    from buergerchat_wagtail.availability import presence

    conversation, secret = conversation_a
    connected = sync_to_async(presence.citizen_connected)
    assert not await connected(conversation.pk)
    citizen, _ready = await citizen_socket(open_socket, secret)
    assert await connected(conversation.pk)
    await ping_pong(citizen)
    assert await connected(conversation.pk)
    await citizen.disconnect()
    assert not await connected(conversation.pk)


async def test_events_skip_channels_per_event_connection_check(open_socket, conversation_a, monkeypatch):
    """Our dispatch does not hop to the database thread before every event (Channels'
    ``aclose_old_connections``): database calls close stale connections themselves."""
    import channels.consumer

    hops = []

    async def counted():
        hops.append(1)

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", counted)
    citizen, _ = await citizen_socket(open_socket, conversation_a[1])
    await citizen.send_json_to(message_frame("Ohne Umweg"))
    ack = await receive_type(citizen, "ack")
    assert ack["message"]["body"] == "Ohne Umweg"
    assert hops == []
