"""Property-based fuzzing of the WebSocket consumers (hypothesis).

Random sequences of valid, resent and malformed frames are thrown at a citizen and
a staff socket. Properties: every frame gets an answer and the socket stays open
(no unhandled exception, no close); every valid message is acknowledged and stored
exactly once (resends included), with the same id on every ack; a sync returns each
stored message once; the server keeps serving new sockets afterwards.
"""

import json
import uuid

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import channel_layers
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from buergerchat_wagtail.models import Message
from tests.conftest import CITIZEN_PATH, STAFF_PATH, socket_opener

pytestmark = pytest.mark.django_db(transaction=True)

FUZZ_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,  # the same examples in every run (CI is reproducible)
)

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70), st.floats(allow_nan=False), st.text(max_size=30)
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
frame_types = st.sampled_from(["ping", "auth", "message", "sync", "subscribe", "unsubscribe", "bogus", "", None, 1])
field_names = st.sampled_from(["v", "type", "client_id", "body", "after", "conversation", "secret", "extra"])

# A malformed frame: random JSON, or a frame-shaped object with random fields, or raw text.
malformed = st.one_of(
    json_values.map(lambda v: ("json", v)),
    st.fixed_dictionaries(
        {"v": st.one_of(st.just(1), json_scalars), "type": frame_types},
        optional={name: json_values for name in ("client_id", "body", "after", "conversation", "secret", "extra")},
    ).map(lambda v: ("json", v)),
    st.text(max_size=200).map(lambda t: ("text", t)),
    st.binary(max_size=50).map(lambda b: ("bytes", b)),
)
bodies = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=60
).filter(lambda t: t.replace("\x00", "").strip())
valid_message = bodies.map(lambda body: ("message", body))
resend = st.integers(min_value=0, max_value=50).map(lambda i: ("resend", i))
operations = st.lists(st.one_of(malformed, valid_message, resend), min_size=1, max_size=25)


def reset_layer():
    channel_layers.backends = {}


async def next_answer(communicator, skip):
    while True:
        output = await communicator.receive_output(timeout=5)
        assert output["type"] == "websocket.send", f"socket closed or failed: {output}"
        frame = json.loads(output["text"])
        if frame["type"] not in skip:
            return frame


async def run_operations(open_socket, ops, *, path, headers, auth_frame, expect_auth, message_extra, skip):
    communicator, connected, _ = await open_socket(path, headers=headers, timeout=5)
    assert connected
    if path == CITIZEN_PATH:
        await communicator.send_json_to(auth_frame)
    assert (await next_answer(communicator, skip=()))["type"] == expect_auth
    acked = {}  # client_id -> message id
    sent = []
    for kind, value in ops:
        if kind == "json":
            await communicator.send_to(text_data=json.dumps(value))
        elif kind == "text":  # also "" (the communicator's send_to refuses empty frames)
            await communicator.send_input({"type": "websocket.receive", "text": value})
        elif kind == "bytes":
            await communicator.send_input({"type": "websocket.receive", "bytes": value})
        else:
            if kind == "message" or not sent:
                client_id = str(uuid.uuid4())
                body = value if kind == "message" else "Wiederholung"
                sent.append((client_id, body))
            else:
                client_id, body = sent[value % len(sent)]
            was_acked = client_id in acked
            await communicator.send_json_to({"v": 1, "type": "message", "client_id": client_id, "body": body, **message_extra})
        answer = await next_answer(communicator, skip=skip)
        if kind in ("message", "resend"):
            assert answer["type"] == "ack", answer
            assert answer["client_id"] == client_id
            assert acked.setdefault(client_id, answer["message"]["id"]) == answer["message"]["id"]
            assert answer["duplicate"] == was_acked
        else:
            # Anything malformed gets an answer (mostly an error frame), never a close.
            assert answer["type"] in ("error", "pong", "ready", "messages", "unsubscribed", "ack"), answer
            if answer["type"] == "error":
                assert answer["code"] not in ("server_error",), answer
    # The socket still answers.
    await communicator.send_json_to({"v": 1, "type": "ping"})
    assert (await next_answer(communicator, skip=skip))["type"] == "pong"
    return acked


def assert_stored_once(conversation, acked):
    stored = list(Message.objects.filter(conversation=conversation).values_list("client_id", "pk"))
    by_client = {}
    for client_id, pk in stored:
        assert str(client_id) not in by_client, "a message was stored twice"
        by_client[str(client_id)] = pk
    for client_id, pk in acked.items():
        assert by_client.get(client_id) == pk, "an acknowledged message is missing"


@override_settings(BUERGERCHAT={"MESSAGES_PER_MINUTE": 0, "MAX_AUTH_FAILURES": 10**6})
def test_fuzz_citizen_socket(dept_a, start_conversation, asgi_app):
    conversation, secret = start_conversation(dept_a)

    @FUZZ_SETTINGS
    @given(ops=operations)
    def check(ops):
        reset_layer()

        async def scenario():
            async with socket_opener(asgi_app) as open_socket:
                return await run_operations(
                    open_socket,
                    ops,
                    path=CITIZEN_PATH,
                    headers=(),
                    auth_frame={"v": 1, "type": "auth", "secret": secret},
                    expect_auth="ready",
                    message_extra={},
                    skip=("message",),
                )

        acked = async_to_sync(scenario)()
        assert_stored_once(conversation, acked)

    check()
    # Afterwards the server still serves a fresh socket with the whole history, each message once.
    reset_layer()

    async def fresh():
        async with socket_opener(asgi_app) as open_socket:
            communicator, _, _ = await open_socket(CITIZEN_PATH, timeout=5)
            await communicator.send_json_to({"v": 1, "type": "auth", "secret": secret})
            return await communicator.receive_json_from(timeout=5)

    ready = async_to_sync(fresh)()
    ids = [m["id"] for m in ready["messages"]]
    assert len(ids) == len(set(ids)) == Message.objects.filter(conversation=conversation).count()


@override_settings(BUERGERCHAT={"MESSAGES_PER_MINUTE": 0, "MAX_AUTH_FAILURES": 10**6})
def test_fuzz_staff_socket(dept_a, worker_a, start_conversation, asgi_app):
    from tests.conftest import _session_cookie

    conversation, _ = start_conversation(dept_a)
    cookie = _session_cookie(worker_a)

    @FUZZ_SETTINGS
    @given(ops=operations)
    def check(ops):
        reset_layer()

        async def scenario():
            async with socket_opener(asgi_app) as open_socket:
                return await run_operations(
                    open_socket,
                    ops,
                    path=STAFF_PATH,
                    headers=[(b"cookie", f"sessionid={cookie}".encode())],
                    auth_frame=None,
                    expect_auth="hello",
                    message_extra={"conversation": conversation.pk},
                    skip=("message", "conversation"),
                )

        acked = async_to_sync(scenario)()
        assert_stored_once(conversation, acked)

    check()


async def test_staff_resend_is_acknowledged_regression(dept_a, worker_a, start_conversation, open_socket):
    """Found by the fuzzer: a staff resend loaded the author lazily in async code (server_error)."""
    from tests.conftest import receive_type, staff_socket

    conversation, _ = await sync_to_async(start_conversation)(dept_a)
    staff, _ = await staff_socket(open_socket, worker_a)
    frame = {"v": 1, "type": "message", "conversation": conversation.pk, "client_id": str(uuid.uuid4()), "body": "Hallo"}
    await staff.send_json_to(frame)
    first = await receive_type(staff, "ack", skip=("message", "conversation"))
    await staff.send_json_to(frame)
    second = await receive_type(staff, "ack", skip=("message", "conversation"))
    assert (second["duplicate"], second["message"]["id"]) == (True, first["message"]["id"])
    assert second["message"]["author"] == "Berta Baumann"
