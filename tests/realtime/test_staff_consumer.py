"""The staff WebSocket consumer, driven through the same ASGI stack as demo_site/asgi.py:
connecting, rights per department (checked again on every frame), subscriptions and
inbox events."""

import uuid

import pytest
from asgiref.sync import sync_to_async

from buergerchat_wagtail.models import Conversation, Department, SenderType
from buergerchat_wagtail.realtime import consumers
from tests.conftest import (
    STAFF_PATH,
    citizen_socket,
    ping_pong,
    receive,
    receive_type,
    send_raw,
    staff_socket,
    unchanged,
)
from tests.realtime.conftest import assert_closed_with, count_messages, drain, message_frame

pytestmark = pytest.mark.django_db(transaction=True)


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



# --------------------------------------------------------------------------- staff: connecting


async def test_staff_anonymous_is_closed_4401(open_socket, departments):
    staff, connected, code = await open_socket(STAFF_PATH)
    await assert_closed_with(staff, connected, code, consumers.CLOSE_UNAUTHENTICATED)
    assert consumers.CLOSE_UNAUTHENTICATED == 4401


async def test_staff_with_foreign_origin_is_refused(open_socket, worker_a):
    staff, connected, _ = await open_socket(STAFF_PATH, user=worker_a, origin=(b"origin", b"http://evil.example"))
    assert not connected


async def test_staff_user_without_department_is_closed_4403(open_socket, departments, plain_user):
    staff, connected, code = await open_socket(STAFF_PATH, user=plain_user)
    await assert_closed_with(staff, connected, code, consumers.CLOSE_FORBIDDEN)
    assert consumers.CLOSE_FORBIDDEN == 4403


async def test_staff_admin_user_in_no_department_is_closed_4403(open_socket, departments, plain_user):
    from django.contrib.auth.models import Group, Permission

    def give_admin_access():
        group = Group.objects.create(name="Redaktion")
        group.permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
        plain_user.groups.add(group)

    await sync_to_async(give_admin_access)()
    staff, connected, code = await open_socket(STAFF_PATH, user=plain_user)
    await assert_closed_with(staff, connected, code, 4403)


async def test_staff_hello_lists_departments(open_socket, dept_a, dept_b, worker_a, superuser):
    staff, hello = await staff_socket(open_socket, worker_a)
    admin, admin_hello = await staff_socket(open_socket, superuser)
    assert hello["departments"] == [dept_a.pk]
    assert admin_hello["departments"] == sorted([dept_a.pk, dept_b.pk])


# --------------------------------------------------------------------------- staff: permissions


async def test_case_worker_cannot_subscribe_to_other_department(open_socket, conversation_b, worker_a):
    conversation, _secret = conversation_b
    staff, _ = await staff_socket(open_socket, worker_a)
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


async def test_case_worker_gets_no_live_messages_of_other_department(open_socket, conversation_b, worker_a):
    conversation, secret = conversation_b
    staff, _ = await staff_socket(open_socket, worker_a)
    citizen, _ = await citizen_socket(open_socket, secret)
    await staff.send_json_to({"v": 1, "type": "subscribe", "conversation": conversation.pk})
    assert (await receive(staff))["code"] == "forbidden"
    await citizen.send_json_to(message_frame("Nur für das Bürgerbüro"))
    await receive_type(citizen, "ack")
    assert await drain(staff) == []


async def test_case_worker_cannot_send_to_other_department(open_socket, conversation_b, worker_a):
    conversation, _secret = conversation_b
    staff, _ = await staff_socket(open_socket, worker_a)
    await staff.send_json_to(
        {"v": 1, "type": "message", "conversation": conversation.pk, "client_id": str(uuid.uuid4()), "body": "Übergriff"}
    )
    frame = await receive(staff)
    assert frame["type"] == "error"
    assert frame["code"] == "forbidden"
    assert await count_messages(conversation=conversation) == 1
    assert await count_messages(sender=SenderType.STAFF) == 0


async def test_case_worker_removed_from_group_is_refused(open_socket, conversation_a, worker_a, group_a):
    conversation, _secret = conversation_a
    staff, _ = await staff_socket(open_socket, worker_a)
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


async def test_deactivated_case_worker_is_refused(open_socket, conversation_a, worker_a):
    conversation, _secret = conversation_a
    staff, _ = await staff_socket(open_socket, worker_a)
    await sync_to_async(lambda: type(worker_a).objects.filter(pk=worker_a.pk).update(is_active=False))()
    await staff.send_json_to({"v": 1, "type": "subscribe", "conversation": conversation.pk})
    assert (await receive(staff))["code"] == "forbidden"


async def test_removed_case_worker_stops_receiving_live_messages(open_socket, conversation_a, worker_a, group_a):
    """Leaving the department's group ends live delivery of its conversations at once."""
    conversation, secret = conversation_a
    staff, _ = await staff_socket(open_socket, worker_a)
    citizen, _ = await citizen_socket(open_socket, secret)
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


async def test_deactivated_case_worker_stops_receiving_after_recheck(
    open_socket, conversation_a, worker_a, monkeypatch
):
    """A change that sends no signal (a queryset update) is caught by the periodic re-check."""
    monkeypatch.setattr(consumers.staff, "PERMISSION_RECHECK_SECONDS", 0)
    conversation, secret = conversation_a
    staff, _ = await staff_socket(open_socket, worker_a)
    citizen, _ = await citizen_socket(open_socket, secret)
    await staff.send_json_to({"v": 1, "type": "subscribe", "conversation": conversation.pk})
    assert (await receive(staff))["type"] == "ready"
    await sync_to_async(lambda: type(worker_a).objects.filter(pk=worker_a.pk).update(is_active=False))()

    await citizen.send_json_to(message_frame("Nach der Deaktivierung"))
    await receive_type(citizen, "ack")
    leaked = [f for f in await drain(staff) if f["type"] in ("message", "conversation")]
    assert leaked == [], f"a deactivated case worker still received: {leaked}"


async def test_case_worker_added_to_group_gets_its_inbox_at_once(open_socket, conversation_b, worker_a, group_b):
    conversation, secret = conversation_b
    staff, hello = await staff_socket(open_socket, worker_a)
    citizen, _ = await citizen_socket(open_socket, secret)
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


async def test_superuser_gets_inbox_events_of_a_new_department(open_socket, dept_a, superuser, start_conversation):
    from django.contrib.auth.models import Group

    from buergerchat_wagtail.models import Department

    admin, hello = await staff_socket(open_socket, superuser)
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


async def test_superuser_can_subscribe_to_all(open_socket, conversation_a, conversation_b, superuser):
    staff, _ = await staff_socket(open_socket, superuser)
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


async def test_unsubscribe_stops_live_messages(open_socket, conversation_a, worker_a):
    conversation, secret = conversation_a
    staff, _ = await staff_socket(open_socket, worker_a)
    citizen, _ = await citizen_socket(open_socket, secret)
    await staff.send_json_to({"v": 1, "type": "subscribe", "conversation": conversation.pk})
    assert (await receive(staff))["type"] == "ready"
    await staff.send_json_to({"v": 1, "type": "unsubscribe", "conversation": conversation.pk})
    assert await receive(staff) == {"v": 1, "type": "unsubscribed", "conversation": conversation.pk}
    await citizen.send_json_to(message_frame("Hört mich wer?"))
    await receive_type(citizen, "ack")
    frames = await drain(staff)
    assert [f["type"] for f in frames] == ["conversation"]


async def test_staff_bad_frames_keep_the_socket(open_socket, conversation_a, worker_a):
    conversation, _ = conversation_a
    staff, _ = await staff_socket(open_socket, worker_a)
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


# --------------------------------------------------------------------------- staff: inbox events


async def test_inbox_event_only_for_own_department(open_socket, conversation_a, worker_a, worker_b, superuser):
    conversation, secret = conversation_a
    staff_a, _ = await staff_socket(open_socket, worker_a)
    staff_b, _ = await staff_socket(open_socket, worker_b)
    admin, _ = await staff_socket(open_socket, superuser)
    citizen, _ = await citizen_socket(open_socket, secret)
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


async def test_inbox_event_for_a_new_conversation(open_socket, dept_a, dept_b, worker_a, worker_b, start_conversation):
    staff_a, _ = await staff_socket(open_socket, worker_a)
    staff_b, _ = await staff_socket(open_socket, worker_b)
    conversation, _secret = await sync_to_async(start_conversation)(dept_a, text="Ganz neues Anliegen")
    event = await receive(staff_a)
    assert event["type"] == "conversation"
    assert event["conversation"]["id"] == conversation.pk
    assert event["conversation"]["status"] == "new"
    assert await drain(staff_b) == []
    assert await sync_to_async(Conversation.objects.count)() == 1


# --------------------------------------------------------------------------- staff: every frame about another department's conversation


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


@pytest.mark.parametrize("kind", ["take", "note", "close", "transfer", "read"])
async def test_a_conversation_that_does_not_exist_is_refused_alike(kind, open_socket, dept_b, worker_a):
    socket, _ = await staff_socket(open_socket, worker_a)
    frame = frames_for(987654, colleague_id=worker_a.pk, department_id=dept_b.pk)[kind]
    await socket.send_json_to({"v": 1, **frame})
    answer = await receive(socket)
    assert answer["code"] == "forbidden" and answer["detail"]


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


async def test_superuser_may_act_in_every_department(open_socket, dept_a, dept_b, superuser, start_conversation):
    conversation, _ = await sync_to_async(start_conversation)(dept_a)
    socket, _ = await staff_socket(open_socket, superuser)
    await socket.send_json_to({"v": 1, "type": "take", "conversation": conversation.pk})
    done = await receive_done(socket)
    assert done["conversation"]["assignee"]["id"] == superuser.pk


async def test_a_burst_of_inbox_updates_is_one_conversations_frame(open_socket, dept_a, worker_a, start_conversation):
    """Within INBOX_COALESCE_MS a staff socket collects its departments' inbox updates:
    three new conversations and a message to the first are one ``conversations`` frame,
    each conversation once, in its latest state, still marked ``started``."""
    from buergerchat_wagtail.conversations import services

    staff, _ = await staff_socket(open_socket, worker_a)

    def burst():
        started = [start_conversation(dept_a, text=f"Anliegen {n}")[0] for n in range(3)]
        services.post_message(conversation=started[0].pk, sender=SenderType.CITIZEN, body="Nachtrag", client_id=uuid.uuid4())
        return [c.pk for c in started]

    ids = await sync_to_async(burst)()
    frame = await receive(staff)
    assert frame["type"] == "conversations"
    assert [item["conversation"]["id"] for item in frame["conversations"]] == [ids[1], ids[2], ids[0]]
    assert all(item["started"] for item in frame["conversations"])
    assert frame["conversations"][2]["conversation"]["last_message"] == "Nachtrag"
    assert frame["conversations"][0]["conversation"]["status_label"]  # localized like a single frame
    assert await drain(staff, timeout=0.5) == []


async def test_a_lone_inbox_update_is_a_conversation_frame(open_socket, dept_a, worker_a, start_conversation):
    staff, _ = await staff_socket(open_socket, worker_a)
    conversation, _ = await sync_to_async(start_conversation)(dept_a, text="Nur eins")
    frame = await receive(staff)
    assert frame["type"] == "conversation"
    assert frame["conversation"]["id"] == conversation.pk and frame["started"] is True


async def test_messages_from_sockets_reach_the_inbox_as_one_coalesced_event(
    open_socket, dept_a, worker_a, start_conversation, monkeypatch
):
    """The worker storing messages from its sockets sends one ``bc.conversations``
    event per department and window (events/broadcasting.py), not one per message."""
    from channels.layers import get_channel_layer

    started = [await sync_to_async(start_conversation)(dept_a, text=f"Frage {n}") for n in range(3)]
    staff, _ = await staff_socket(open_socket, worker_a)
    await drain(staff, timeout=0.5)  # the starts' own updates
    citizens = [(await citizen_socket(open_socket, secret))[0] for _conversation, secret in started]
    layer = get_channel_layer()
    sent = []
    original = layer.group_send

    async def counting(group, event):
        sent.append(event["type"])
        await original(group, event)

    monkeypatch.setattr(layer, "group_send", counting)
    for n, citizen in enumerate(citizens):
        await citizen.send_json_to(message_frame(f"Nachricht {n}"))
        await receive_type(citizen, "ack")
    frame = await receive_type(staff, "conversations", skip=())
    assert [item["conversation"]["id"] for item in frame["conversations"]] == [c.pk for c, _ in started]
    assert sent.count("bc.conversation") == 0
    assert sent.count("bc.conversations") == 1
