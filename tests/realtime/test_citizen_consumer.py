"""The WebSocket consumers, driven through the same ASGI stack as demo_site/asgi.py."""

import json
import uuid

import pytest
from asgiref.sync import sync_to_async

from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.models import Conversation, Message, SenderType
from buergerchat_wagtail.realtime import consumers
from tests.conftest import (
    CITIZEN_PATH,
    STAFF_PATH,
    citizen_socket,
    ping_pong,
    receive,
    receive_type,
    send_raw,
    staff_socket,
)

pytestmark = pytest.mark.django_db(transaction=True)


def message_frame(body, client_id=None):
    return {"v": 1, "type": "message", "client_id": str(client_id or uuid.uuid4()), "body": body}


async def drain(communicator, timeout=0.5):
    """All frames that arrive until the socket stays quiet for ``timeout`` seconds."""
    frames = []
    while not await communicator.receive_nothing(timeout=timeout):
        frames.append(json.loads(await communicator.receive_from()))
    return frames


async def assert_closed_with(communicator, connected, code, expected):
    """The socket is refused with ``expected``: either in the handshake or, after an
    accept, by a close frame before anything else is sent."""
    if connected:
        output = await communicator.receive_output(timeout=3)
        assert output["type"] == "websocket.close", f"expected a close, got {output}"
        code = output.get("code")
    assert code == expected


async def count_messages(**filters):
    return await sync_to_async(lambda: Message.objects.filter(**filters).count())()


@pytest.fixture
async def conversation_a(dept_a, start_conversation):
    return await sync_to_async(start_conversation)(dept_a, text="Frage zum Bauantrag\nmit Details")


@pytest.fixture
async def conversation_b(dept_b, start_conversation):
    return await sync_to_async(start_conversation)(dept_b, text="Frage zum Personalausweis")


# --------------------------------------------------------------------------- citizen: authentication


async def test_citizen_auth_with_right_secret_gets_ready(open_socket, conversation_a):
    conversation, secret = conversation_a
    citizen, ready = await citizen_socket(open_socket, secret)
    try:
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
    finally:
        await citizen.disconnect()


async def test_citizen_wrong_secret_gets_error_and_socket_stays_open(open_socket, conversation_a):
    citizen, connected, _ = await open_socket(CITIZEN_PATH)
    try:
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
    finally:
        await citizen.disconnect()


async def test_citizen_too_many_wrong_secrets_close_with_4429(open_socket, conversation_a):
    citizen, connected, _ = await open_socket(CITIZEN_PATH)
    try:
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
    finally:
        await citizen.disconnect()


async def test_citizen_message_before_auth_is_refused(open_socket, conversation_a):
    citizen, connected, _ = await open_socket(CITIZEN_PATH)
    try:
        assert connected
        await citizen.send_json_to(message_frame("Hallo"))
        frame = await receive(citizen)
        assert frame["type"] == "error"
        assert frame["code"] == "not_authenticated"
        await citizen.send_json_to({"v": 1, "type": "sync", "after": 0})
        assert (await receive(citizen))["code"] == "not_authenticated"
        await ping_pong(citizen)
        assert await count_messages() == 1  # only the opening message of the fixture
    finally:
        await citizen.disconnect()


async def test_foreign_origin_is_refused(open_socket, conversation_a):
    citizen, connected, _ = await open_socket(CITIZEN_PATH, origin=(b"origin", b"http://evil.example"))
    try:
        assert not connected
    finally:
        await citizen.disconnect()


async def test_missing_origin_is_refused(open_socket, conversation_a):
    citizen, connected, _ = await open_socket(CITIZEN_PATH, origin=None)
    try:
        assert not connected
    finally:
        await citizen.disconnect()


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
    try:
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
    finally:
        await citizen.disconnect()


async def test_refused_message_names_its_client_id(open_socket, conversation_a):
    citizen, _ = await citizen_socket(open_socket, conversation_a[1])
    try:
        client_id = uuid.uuid4()
        await citizen.send_json_to(message_frame(TOO_LONG, client_id))
        frame = await receive(citizen)
        assert frame["code"] == "message_too_long"
        assert frame["ref"] == str(client_id)
    finally:
        await citizen.disconnect()


async def test_citizen_binary_frame_is_refused(open_socket, conversation_a):
    citizen, _ = await citizen_socket(open_socket, conversation_a[1])
    try:
        await citizen.send_to(bytes_data=json.dumps(message_frame("binär")).encode())
        frame = await receive(citizen)
        assert frame["type"] == "error"
        assert frame["code"] == "binary_not_supported"
        await ping_pong(citizen)
        assert await count_messages() == 1
    finally:
        await citizen.disconnect()


async def test_citizen_frame_over_max_frame_bytes_is_refused(open_socket, conversation_a):
    citizen, _ = await citizen_socket(open_socket, conversation_a[1])
    try:
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
    finally:
        await citizen.disconnect()


async def test_message_of_exactly_max_length_is_accepted(open_socket, conversation_a):
    citizen, _ = await citizen_socket(open_socket, conversation_a[1])
    try:
        body = "z" * 4000
        await citizen.send_json_to(message_frame(body))
        ack = await receive_type(citizen, "ack")
        assert ack["message"]["body"] == body
    finally:
        await citizen.disconnect()


async def test_stored_body_is_cleaned(open_socket, conversation_a):
    conversation, secret = conversation_a
    citizen, _ = await citizen_socket(open_socket, secret)
    try:
        await citizen.send_json_to(message_frame("  Zeile 1\r\nZei\x00le 2  "))
        ack = await receive_type(citizen, "ack")
        assert ack["message"]["body"] == "Zeile 1\nZeile 2"
        stored = await sync_to_async(lambda: Message.objects.get(pk=ack["message"]["id"]).body)()
        assert stored == "Zeile 1\nZeile 2"
    finally:
        await citizen.disconnect()


# --------------------------------------------------------------------------- citizen <-> staff


async def test_idempotent_resend(open_socket, conversation_a, worker_a):
    conversation, secret = conversation_a
    staff, _ = await staff_socket(open_socket, worker_a)
    citizen, _ = await citizen_socket(open_socket, secret)
    try:
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
        assert 1 <= len(delivered) <= 2
        assert delivered[0]["conversation"] == conversation.pk
        assert delivered[0]["message"]["body"] == "Einmal bitte"
    finally:
        await citizen.disconnect()
        await staff.disconnect()


async def test_resend_with_same_client_id_but_other_text_keeps_the_first(open_socket, conversation_a):
    conversation, secret = conversation_a
    citizen, _ = await citizen_socket(open_socket, secret)
    try:
        client_id = uuid.uuid4()
        await citizen.send_json_to(message_frame("Original", client_id))
        first = await receive_type(citizen, "ack")
        await citizen.send_json_to(message_frame("Geändert", client_id))
        second = await receive_type(citizen, "ack")
        assert second["duplicate"] is True
        assert second["message"]["body"] == "Original" == first["message"]["body"]
        assert await count_messages(conversation=conversation) == 2
    finally:
        await citizen.disconnect()


async def test_ordering_of_a_burst(open_socket, conversation_a, worker_a):
    conversation, secret = conversation_a
    staff, _ = await staff_socket(open_socket, worker_a)
    citizen, _ = await citizen_socket(open_socket, secret)
    try:
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
    finally:
        await citizen.disconnect()
        await staff.disconnect()


async def test_live_delivery_both_ways(open_socket, conversation_a, worker_a):
    conversation, secret = conversation_a
    staff, _ = await staff_socket(open_socket, worker_a)
    citizen, _ = await citizen_socket(open_socket, secret)
    try:
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
    finally:
        await citizen.disconnect()
        await staff.disconnect()


async def test_citizen_sync_after_returns_only_newer(open_socket, conversation_a):
    conversation, secret = conversation_a
    citizen, ready = await citizen_socket(open_socket, secret)
    try:
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
        try:
            assert [m["body"] for m in ready_again["messages"]] == ["zwei", "drei"]
        finally:
            await again.disconnect()
    finally:
        await citizen.disconnect()


async def test_citizen_only_hears_its_own_conversation(open_socket, dept_a, start_conversation):
    _conv_one, secret_one = await sync_to_async(start_conversation)(dept_a, text="Eins")
    _conv_two, secret_two = await sync_to_async(start_conversation)(dept_a, text="Zwei")
    one, _ = await citizen_socket(open_socket, secret_one)
    two, _ = await citizen_socket(open_socket, secret_two)
    try:
        await one.send_json_to(message_frame("Geheim von eins"))
        await receive_type(one, "ack")
        assert await drain(two) == []
    finally:
        await one.disconnect()
        await two.disconnect()


# --------------------------------------------------------------------------- staff: connecting


async def test_staff_anonymous_is_closed_4401(open_socket, departments):
    staff, connected, code = await open_socket(STAFF_PATH)
    try:
        await assert_closed_with(staff, connected, code, consumers.CLOSE_UNAUTHENTICATED)
        assert consumers.CLOSE_UNAUTHENTICATED == 4401
    finally:
        await staff.disconnect()


async def test_staff_with_foreign_origin_is_refused(open_socket, worker_a):
    staff, connected, _ = await open_socket(STAFF_PATH, user=worker_a, origin=(b"origin", b"http://evil.example"))
    try:
        assert not connected
    finally:
        await staff.disconnect()


async def test_staff_user_without_department_is_closed_4403(open_socket, departments, plain_user):
    staff, connected, code = await open_socket(STAFF_PATH, user=plain_user)
    try:
        await assert_closed_with(staff, connected, code, consumers.CLOSE_FORBIDDEN)
        assert consumers.CLOSE_FORBIDDEN == 4403
    finally:
        await staff.disconnect()


async def test_staff_admin_user_in_no_department_is_closed_4403(open_socket, departments, plain_user):
    from django.contrib.auth.models import Group, Permission

    def give_admin_access():
        group = Group.objects.create(name="Redaktion")
        group.permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
        plain_user.groups.add(group)

    await sync_to_async(give_admin_access)()
    staff, connected, code = await open_socket(STAFF_PATH, user=plain_user)
    try:
        await assert_closed_with(staff, connected, code, 4403)
    finally:
        await staff.disconnect()


async def test_staff_hello_lists_departments(open_socket, dept_a, dept_b, worker_a, superuser):
    staff, hello = await staff_socket(open_socket, worker_a)
    admin, admin_hello = await staff_socket(open_socket, superuser)
    try:
        assert hello["departments"] == [dept_a.pk]
        assert admin_hello["departments"] == sorted([dept_a.pk, dept_b.pk])
    finally:
        await staff.disconnect()
        await admin.disconnect()


# --------------------------------------------------------------------------- staff: permissions


async def test_case_worker_cannot_subscribe_to_other_department(open_socket, conversation_b, worker_a):
    conversation, _secret = conversation_b
    staff, _ = await staff_socket(open_socket, worker_a)
    try:
        await staff.send_json_to({"v": 1, "type": "subscribe", "conversation": conversation.pk})
        frame = await receive(staff)
        assert frame["type"] == "error"
        assert frame["code"] == "forbidden"
        assert "messages" not in frame and "conversation" not in frame
        await staff.send_json_to({"v": 1, "type": "sync", "conversation": conversation.pk, "after": 0})
        assert (await receive(staff))["code"] == "forbidden"
        # A conversation id that does not exist is refused alike.
        await staff.send_json_to({"v": 1, "type": "subscribe", "conversation": 999999})
        missing = await receive(staff)
        assert missing == frame
        await ping_pong(staff, skip=())
    finally:
        await staff.disconnect()


async def test_case_worker_gets_no_live_messages_of_other_department(open_socket, conversation_b, worker_a):
    conversation, secret = conversation_b
    staff, _ = await staff_socket(open_socket, worker_a)
    citizen, _ = await citizen_socket(open_socket, secret)
    try:
        await staff.send_json_to({"v": 1, "type": "subscribe", "conversation": conversation.pk})
        assert (await receive(staff))["code"] == "forbidden"
        await citizen.send_json_to(message_frame("Nur für das Bürgerbüro"))
        await receive_type(citizen, "ack")
        assert await drain(staff) == []
    finally:
        await citizen.disconnect()
        await staff.disconnect()


async def test_case_worker_cannot_send_to_other_department(open_socket, conversation_b, worker_a):
    conversation, _secret = conversation_b
    staff, _ = await staff_socket(open_socket, worker_a)
    try:
        await staff.send_json_to(
            {"v": 1, "type": "message", "conversation": conversation.pk, "client_id": str(uuid.uuid4()), "body": "Übergriff"}
        )
        frame = await receive(staff)
        assert frame["type"] == "error"
        assert frame["code"] == "forbidden"
        assert await count_messages(conversation=conversation) == 1
        assert await count_messages(sender=SenderType.STAFF) == 0
    finally:
        await staff.disconnect()


async def test_case_worker_removed_from_group_is_refused(open_socket, conversation_a, worker_a, group_a):
    conversation, _secret = conversation_a
    staff, _ = await staff_socket(open_socket, worker_a)
    try:
        await staff.send_json_to({"v": 1, "type": "subscribe", "conversation": conversation.pk})
        assert (await receive(staff))["type"] == "ready"

        await sync_to_async(worker_a.groups.remove)(group_a)

        await staff.send_json_to({"v": 1, "type": "subscribe", "conversation": conversation.pk})
        assert (await receive(staff))["code"] == "forbidden"
        await staff.send_json_to(
            {"v": 1, "type": "message", "conversation": conversation.pk, "client_id": str(uuid.uuid4()), "body": "Noch da?"}
        )
        assert (await receive(staff))["code"] == "forbidden"
        await staff.send_json_to({"v": 1, "type": "sync", "conversation": conversation.pk, "after": 0})
        assert (await receive(staff))["code"] == "forbidden"
        assert await count_messages(sender=SenderType.STAFF) == 0
    finally:
        await staff.disconnect()


async def test_deactivated_case_worker_is_refused(open_socket, conversation_a, worker_a):
    conversation, _secret = conversation_a
    staff, _ = await staff_socket(open_socket, worker_a)
    try:
        await sync_to_async(lambda: type(worker_a).objects.filter(pk=worker_a.pk).update(is_active=False))()
        await staff.send_json_to({"v": 1, "type": "subscribe", "conversation": conversation.pk})
        assert (await receive(staff))["code"] == "forbidden"
    finally:
        await staff.disconnect()


async def test_removed_case_worker_stops_receiving_live_messages(open_socket, conversation_a, worker_a, group_a):
    """Leaving the department's group ends live delivery of its conversations at once."""
    conversation, secret = conversation_a
    staff, _ = await staff_socket(open_socket, worker_a)
    citizen, _ = await citizen_socket(open_socket, secret)
    try:
        await staff.send_json_to({"v": 1, "type": "subscribe", "conversation": conversation.pk})
        assert (await receive(staff))["type"] == "ready"
        await citizen.send_json_to(message_frame("Vorher"))
        await receive_type(citizen, "ack")
        before = await drain(staff)
        assert sorted(f["type"] for f in before) == ["conversation", "message"]

        await sync_to_async(worker_a.groups.remove)(group_a)
        # The socket re-reads its rights when told; a round trip waits for that.
        await ping_pong(staff, skip=())

        await citizen.send_json_to(message_frame("Nachher: vertraulich"))
        await receive_type(citizen, "ack")
        after = await drain(staff)
        leaked = [f for f in after if f["type"] in ("message", "conversation")]
        assert leaked == [], f"a removed case worker still received: {leaked}"
    finally:
        await citizen.disconnect()
        await staff.disconnect()


async def test_deactivated_case_worker_stops_receiving_after_recheck(
    open_socket, conversation_a, worker_a, monkeypatch
):
    """A change that sends no signal (a queryset update) is caught by the periodic re-check."""
    monkeypatch.setattr(consumers.staff, "PERMISSION_RECHECK_SECONDS", 0)
    conversation, secret = conversation_a
    staff, _ = await staff_socket(open_socket, worker_a)
    citizen, _ = await citizen_socket(open_socket, secret)
    try:
        await staff.send_json_to({"v": 1, "type": "subscribe", "conversation": conversation.pk})
        assert (await receive(staff))["type"] == "ready"
        await sync_to_async(lambda: type(worker_a).objects.filter(pk=worker_a.pk).update(is_active=False))()

        await citizen.send_json_to(message_frame("Nach der Deaktivierung"))
        await receive_type(citizen, "ack")
        leaked = [f for f in await drain(staff) if f["type"] in ("message", "conversation")]
        assert leaked == [], f"a deactivated case worker still received: {leaked}"
    finally:
        await citizen.disconnect()
        await staff.disconnect()


async def test_case_worker_added_to_group_gets_its_inbox_at_once(open_socket, conversation_b, worker_a, group_b):
    conversation, secret = conversation_b
    staff, hello = await staff_socket(open_socket, worker_a)
    citizen, _ = await citizen_socket(open_socket, secret)
    try:
        assert conversation.department_id not in hello["departments"]
        await sync_to_async(worker_a.groups.add)(group_b)
        await ping_pong(staff, skip=())
        await citizen.send_json_to(message_frame("Für das Bürgerbüro"))
        await receive_type(citizen, "ack")
        event = await receive(staff)
        assert event["type"] == "conversation"
        assert event["conversation"]["id"] == conversation.pk
        await staff.send_json_to({"v": 1, "type": "subscribe", "conversation": conversation.pk})
        assert (await receive(staff))["type"] == "ready"
    finally:
        await citizen.disconnect()
        await staff.disconnect()


async def test_superuser_gets_inbox_events_of_a_new_department(open_socket, dept_a, superuser, start_conversation):
    from django.contrib.auth.models import Group

    from buergerchat_wagtail.models import Department

    admin, hello = await staff_socket(open_socket, superuser)
    try:
        assert hello["departments"] == [dept_a.pk]

        def new_department():
            return Department.objects.create(name="Ordnungsamt", slug="ordnungsamt", group=Group.objects.create(name="C"))

        dept_c = await sync_to_async(new_department)()
        # The socket re-reads its rights when told; a round trip waits for that.
        await ping_pong(admin, skip=())
        conversation, _ = await sync_to_async(start_conversation)(dept_c, text="Lärm in der Nacht")
        event = await receive(admin)
        assert event["type"] == "conversation"
        assert event["conversation"]["id"] == conversation.pk
    finally:
        await admin.disconnect()


async def test_superuser_can_subscribe_to_all(open_socket, conversation_a, conversation_b, superuser):
    staff, _ = await staff_socket(open_socket, superuser)
    try:
        for conversation, _secret in (conversation_a, conversation_b):
            await staff.send_json_to({"v": 1, "type": "subscribe", "conversation": conversation.pk})
            ready = await receive(staff)
            assert ready["type"] == "ready"
            assert ready["conversation"]["id"] == conversation.pk
            assert len(ready["messages"]) == 1
        conversation, _secret = conversation_b
        await staff.send_json_to(
            {"v": 1, "type": "message", "conversation": conversation.pk, "client_id": str(uuid.uuid4()), "body": "Admin"}
        )
        ack = await receive_type(staff, "ack", skip=("message", "conversation"))
        assert ack["message"]["author"] == "Ada Admin"
    finally:
        await staff.disconnect()


async def test_unsubscribe_stops_live_messages(open_socket, conversation_a, worker_a):
    conversation, secret = conversation_a
    staff, _ = await staff_socket(open_socket, worker_a)
    citizen, _ = await citizen_socket(open_socket, secret)
    try:
        await staff.send_json_to({"v": 1, "type": "subscribe", "conversation": conversation.pk})
        assert (await receive(staff))["type"] == "ready"
        await staff.send_json_to({"v": 1, "type": "unsubscribe", "conversation": conversation.pk})
        assert await receive(staff) == {"v": 1, "type": "unsubscribed", "conversation": conversation.pk}
        await citizen.send_json_to(message_frame("Hört mich wer?"))
        await receive_type(citizen, "ack")
        frames = await drain(staff)
        assert [f["type"] for f in frames] == ["conversation"]
    finally:
        await citizen.disconnect()
        await staff.disconnect()


async def test_staff_bad_frames_keep_the_socket(open_socket, conversation_a, worker_a):
    conversation, _ = conversation_a
    staff, _ = await staff_socket(open_socket, worker_a)
    try:
        await send_raw(staff, "{kaputt")
        assert (await receive(staff))["code"] == "invalid_json"
        await staff.send_json_to({"v": 1, "type": "auth", "secret": "x"})
        assert (await receive(staff))["code"] == "unknown_type"
        await staff.send_json_to({"v": 1, "type": "subscribe", "conversation": 0})
        assert (await receive(staff))["code"] == "invalid_frame"
        await staff.send_json_to(
            {"v": 1, "type": "message", "conversation": conversation.pk, "client_id": str(uuid.uuid4()), "body": " "}
        )
        assert (await receive(staff))["code"] == "message_empty"
        await ping_pong(staff, skip=())
        assert await count_messages(sender=SenderType.STAFF) == 0
    finally:
        await staff.disconnect()


# --------------------------------------------------------------------------- staff: inbox events


async def test_inbox_event_only_for_own_department(open_socket, conversation_a, worker_a, worker_b, superuser):
    conversation, secret = conversation_a
    staff_a, _ = await staff_socket(open_socket, worker_a)
    staff_b, _ = await staff_socket(open_socket, worker_b)
    admin, _ = await staff_socket(open_socket, superuser)
    citizen, _ = await citizen_socket(open_socket, secret)
    try:
        await citizen.send_json_to(message_frame("Neue Frage zur Baugenehmigung"))
        await receive_type(citizen, "ack")

        event = await receive(staff_a)
        assert event["type"] == "conversation"
        assert event["conversation"]["id"] == conversation.pk
        assert event["conversation"]["department_id"] == conversation.department_id
        assert event["conversation"]["last_message"] == "Neue Frage zur Baugenehmigung"
        admin_event = await receive(admin)
        assert admin_event["type"] == "conversation"
        assert admin_event["conversation"]["id"] == conversation.pk
        # Not subscribed: the inbox summary only, no message frames.
        assert await drain(staff_a) == []
        assert await drain(staff_b) == []
    finally:
        await citizen.disconnect()
        await staff_a.disconnect()
        await staff_b.disconnect()
        await admin.disconnect()


async def test_inbox_event_for_a_new_conversation(open_socket, dept_a, dept_b, worker_a, worker_b, start_conversation):
    staff_a, _ = await staff_socket(open_socket, worker_a)
    staff_b, _ = await staff_socket(open_socket, worker_b)
    try:
        conversation, _secret = await sync_to_async(start_conversation)(dept_a, text="Ganz neues Anliegen")
        event = await receive(staff_a)
        assert event["type"] == "conversation"
        assert event["conversation"]["id"] == conversation.pk
        assert event["conversation"]["status"] == "new"
        assert await drain(staff_b) == []
        assert await sync_to_async(Conversation.objects.count)() == 1
    finally:
        await staff_a.disconnect()
        await staff_b.disconnect()


# --------------------------------------------------------------------------- failures and state


async def test_database_failure_gives_retryable_error_with_ref(open_socket, conversation_a, monkeypatch):
    from django.db import OperationalError

    from buergerchat_wagtail.conversations import services

    def broken(**kwargs):
        raise OperationalError("database is locked")

    citizen, _ = await citizen_socket(open_socket, conversation_a[1])
    try:
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
    finally:
        await citizen.disconnect()


async def test_unexpected_failure_gives_server_error_and_keeps_socket(open_socket, conversation_a, monkeypatch):
    from buergerchat_wagtail.conversations import services

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "post_message", broken)
    citizen, _ = await citizen_socket(open_socket, conversation_a[1])
    try:
        client_id = uuid.uuid4()
        await citizen.send_json_to(message_frame("Hallo", client_id))
        frame = await receive(citizen)
        assert frame["code"] == "server_error"
        assert frame["ref"] == str(client_id)
        assert "boom" not in frame["detail"]
        await ping_pong(citizen, skip=())
    finally:
        await citizen.disconnect()


async def test_citizen_message_reopens_a_closed_conversation(open_socket, conversation_a, worker_a):
    """The socket keeps its copy of the conversation for hours: the status it acts on
    must be the stored one."""
    from buergerchat_wagtail.conversations import services
    from buergerchat_wagtail.models import ConversationStatus

    conversation, secret = conversation_a
    citizen, _ = await citizen_socket(open_socket, secret)
    try:
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
        await receive_type(citizen, "ack")
        stored = await sync_to_async(Conversation.objects.get)(pk=conversation.pk)
        assert stored.status == ConversationStatus.OPEN
        assert stored.waiting_since is not None
    finally:
        await citizen.disconnect()
