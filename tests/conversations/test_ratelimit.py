"""Rate limits with clear errors, keyed on a daily rotating hash; no address stored."""

import datetime
import json
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.core.cache import cache
from django.db import connection
from django.test import Client, override_settings

from buergerchat_wagtail.conversations import ratelimit
from buergerchat_wagtail.models import Message
from tests.conftest import citizen_socket, ping_pong, receive_type, staff_socket

ADDRESS = "203.0.113.77"
USER_AGENT = "Mozilla/5.0 (X11; Linux) UniqueAgent/4711"


def message_frame(body, client_id=None):
    return {"v": 1, "type": "message", "client_id": str(client_id or uuid.uuid4()), "body": body}


def test_client_hash_is_keyed_and_rotates_daily():
    today = datetime.date(2026, 11, 24)
    tomorrow = today + datetime.timedelta(days=1)
    first = ratelimit.client_hash(ADDRESS, today)
    assert first == ratelimit.client_hash(ADDRESS, today)
    assert first != ratelimit.client_hash(ADDRESS, tomorrow)
    assert first != ratelimit.client_hash("203.0.113.78", today)
    assert ADDRESS not in first and len(first) == 32
    with override_settings(SECRET_KEY="another-secret-key-for-another-site"):
        assert ratelimit.client_hash(ADDRESS, today) != first


def test_limiter_counts_per_key_and_window():
    limiter = ratelimit.Limiter("test", limit=2, window=60)
    limiter.hit("a")
    limiter.hit("a")
    limiter.hit("b")
    with pytest.raises(ratelimit.RateLimited) as exc:
        limiter.hit("a", ref="r1")
    frame = exc.value.as_frame()
    assert frame["code"] == "rate_limited" and frame["ref"] == "r1"
    assert 1 <= frame["retry_after"] <= 60
    limiter.reset("a")
    limiter.hit("a")
    ratelimit.Limiter("off", limit=0, window=60).hit("a")  # 0 switches a limit off


@override_settings(BUERGERCHAT={"UPLOADS_PER_HOUR": 2})
def test_upload_limiter_api():
    ratelimit.check_upload(1, "citizen")
    ratelimit.check_upload(1, "citizen")
    ratelimit.check_upload(1, "staff")
    with pytest.raises(ratelimit.RateLimited) as exc:
        ratelimit.check_upload(1, "citizen")
    assert "zu viele Dateien" in exc.value.detail


@pytest.mark.django_db
@override_settings(BUERGERCHAT={"CONVERSATIONS_PER_HOUR": 2})
def test_conversations_started_per_hour_per_client(dept_a):
    def start(address):
        return Client(REMOTE_ADDR=address, HTTP_USER_AGENT=USER_AGENT).post(
            f"/buergerchat/start/{dept_a.pk}/", {"text": "Frage", "privacy": "on"}
        )

    assert [start(ADDRESS).status_code for _ in range(2)] == [201, 201]
    refused = start(ADDRESS)
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited" and "zu viele Chats" in refused.json()["detail"]
    assert int(refused["Retry-After"]) > 0
    assert start("198.51.100.9").status_code == 201  # another client is not affected
    # An invalid form does not use up the quota of the other client either.
    assert Client(REMOTE_ADDR="198.51.100.10").post(f"/buergerchat/start/{dept_a.pk}/", {}).status_code == 400

    # Neither the address nor the user agent is stored anywhere in the database ...
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            dump = repr(cursor.fetchall())
            assert ADDRESS not in dump and "UniqueAgent" not in dump, table
    # ... and the cache holds only the keyed hash.
    keys = " ".join(str(k) for k in cache._cache)
    assert ratelimit.client_hash(ADDRESS) in keys
    assert ADDRESS not in keys


@pytest.mark.django_db
@override_settings(BUERGERCHAT={"MESSAGES_PER_MINUTE": 2})
def test_http_api_answers_429(dept_a, start_conversation):
    _, secret = start_conversation(dept_a)

    def post(client_id):
        return Client().post(
            "/buergerchat/api/v1/messages",
            data=json.dumps(message_frame("Hallo", client_id)),
            content_type="application/json",
            HTTP_X_BUERGERCHAT_SECRET=secret,
        )

    first, second = uuid.uuid4(), uuid.uuid4()
    assert post(first).status_code == 201
    assert post(second).status_code == 201
    assert post(first).status_code == 200  # a resend of a stored message is not limited
    refused = post(uuid.uuid4())
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited" and refused.json()["ref"]
    assert "Retry-After" in refused


@pytest.mark.django_db(transaction=True)
@override_settings(BUERGERCHAT={"MESSAGES_PER_MINUTE": 3})
async def test_socket_limit_gives_an_error_frame_and_stays_usable(dept_a, worker_a, start_conversation, open_socket):
    conversation, secret = await sync_to_async(start_conversation)(dept_a)
    citizen, _ = await citizen_socket(open_socket, secret)
    sent = []
    for i in range(3):
        frame = message_frame(f"Nachricht {i}")
        sent.append(frame)
        await citizen.send_json_to(frame)
        await receive_type(citizen, "ack")
    refused = message_frame("Eine zu viel")
    await citizen.send_json_to(refused)
    error = await receive_type(citizen, "error")
    assert error["code"] == "rate_limited" and error["ref"] == refused["client_id"]
    assert error["retry_after"] >= 1 and "zu schnell" in error["detail"]
    await ping_pong(citizen)
    # A resend of an acknowledged message still gets its ack (nothing is lost).
    await citizen.send_json_to(sent[0])
    ack = await receive_type(citizen, "ack")
    assert ack["duplicate"] is True
    # Staff have their own budget in the same conversation.
    staff, _ = await staff_socket(open_socket, worker_a)
    await staff.send_json_to({**message_frame("Antwort"), "conversation": conversation.pk})
    assert (await receive_type(staff, "ack", skip=("message", "conversation")))["duplicate"] is False
    assert await sync_to_async(Message.objects.count)() == 5


@pytest.mark.django_db
@override_settings(BUERGERCHAT={"MESSAGES_PER_MINUTE": 1})
def test_staff_form_shows_the_limit_next_to_the_field(dept_a, worker_a, start_conversation):
    conversation, _ = start_conversation(dept_a)
    client = Client()
    client.force_login(worker_a)
    url = f"/admin/buergerchat/conversations/{conversation.pk}/"
    assert client.post(url, {"body": "Eins", "client_id": str(uuid.uuid4())}).status_code == 302
    response = client.post(url, {"body": "Zwei", "client_id": str(uuid.uuid4())})
    assert response.status_code == 200 and "zu schnell" in response.content.decode()
    response = client.post(url, {"body": "Drei", "client_id": str(uuid.uuid4())}, HTTP_ACCEPT="application/json")
    assert response.status_code == 429 and response.json()["code"] == "rate_limited"
