"""All log output of a full conversation -- every logger at DEBUG, including daphne's
and Django's -- contains ids and counts only: no message text, names, e-mail
addresses, secrets or keys. (The same check against a real daphne server's output is
in tests/e2e/test_server_security.py.)"""

import json
import logging
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.test import Client

from buergerchat_wagtail.models import Conversation
from buergerchat_wagtail.privacy import retention
from tests.conftest import CITIZEN_PATH, receive, receive_type, staff_socket

pytestmark = pytest.mark.django_db(transaction=True)

NAME = "Lieselotte Logfrei"
EMAIL = "lieselotte.logfrei@example.org"
CONCERN = "Mein Anliegen Geheimwort Zitronenfalter"
CITIZEN_TEXT = "Bürgernachricht Geheimwort Pfauenauge"
STAFF_TEXT = "Antwort Geheimwort Admiral"
FORM_TEXT = "Formularantwort Geheimwort Distelfalter"


def forbidden_strings(secret):
    words = [NAME, "Lieselotte", "Logfrei", EMAIL, "lieselotte.logfrei", CONCERN, "Zitronenfalter", CITIZEN_TEXT]
    words += ["Pfauenauge", STAFF_TEXT, "Admiral", FORM_TEXT, "Distelfalter", secret, settings.SECRET_KEY]
    return words


@pytest.fixture
def all_logs(caplog):
    caplog.set_level(logging.DEBUG)  # the root logger: every logger propagates to it
    for name in ("daphne", "django", "django.request", "django.server", "channels", "buergerchat_wagtail", "wagtail"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield caplog
    for name in ("daphne", "django", "django.request", "django.server", "channels", "buergerchat_wagtail", "wagtail"):
        logging.getLogger(name).setLevel(logging.NOTSET)


def rendered(record):
    parts = [record.getMessage(), record.name, str(record.args)]
    if record.exc_info:
        parts.append(logging.Formatter().formatException(record.exc_info))
    parts.extend(str(value) for key, value in vars(record).items() if key not in ("msg", "args", "exc_info"))
    return "\n".join(parts)


async def test_logs_of_a_full_conversation_contain_no_personal_data(dept_a, worker_a, open_socket, all_logs):
    client = Client(REMOTE_ADDR="203.0.113.5")
    response = await sync_to_async(client.post)(
        f"/buergerchat/start/{dept_a.pk}/", {"text": CONCERN, "name": NAME, "email": EMAIL, "privacy": "on"}
    )
    assert response.status_code == 201
    secret = response.json()["secret"]
    conversation = await sync_to_async(Conversation.objects.get)()

    # Citizen socket: a wrong secret, a bad frame carrying text, a message.
    citizen, connected, _ = await open_socket(CITIZEN_PATH)
    await citizen.send_json_to({"v": 1, "type": "auth", "secret": secret[::-1]})
    assert (await receive(citizen))["code"] == "auth_failed"
    await citizen.send_json_to({"v": 1, "type": "auth", "secret": secret})
    assert (await receive(citizen))["type"] == "ready"
    await citizen.send_to(text_data=json.dumps({"v": 1, "type": "message", "client_id": "nope", "body": CITIZEN_TEXT}))
    assert (await receive_type(citizen, "error"))["code"] == "invalid_frame"
    await citizen.send_json_to({"v": 1, "type": "message", "client_id": str(uuid.uuid4()), "body": CITIZEN_TEXT})
    await receive_type(citizen, "ack")

    # Staff: socket reply, form reply, views, export, close.
    staff, _ = await staff_socket(open_socket, worker_a)
    await staff.send_json_to({"v": 1, "type": "subscribe", "conversation": conversation.pk})
    await receive_type(staff, "ready", skip=("conversation", "message"))
    await staff.send_json_to(
        {"v": 1, "type": "message", "conversation": conversation.pk, "client_id": str(uuid.uuid4()), "body": STAFF_TEXT}
    )
    await receive_type(staff, "ack", skip=("conversation", "message"))

    def staff_http():
        admin = Client()
        admin.force_login(worker_a)
        base = f"/admin/buergerchat/conversations/{conversation.pk}/"
        assert admin.get(base).status_code == 200
        assert admin.post(base, {"body": FORM_TEXT, "client_id": str(uuid.uuid4())}).status_code == 302
        assert admin.post(base, {"body": "", "client_id": "kaputt"}).status_code == 200
        assert admin.get(base + "export/").status_code == 200
        assert admin.get("/admin/buergerchat/", {"status": "open"}).status_code == 200
        assert admin.post(base + "close/").status_code == 302
        api = Client()
        assert api.get("/buergerchat/api/v1/export", HTTP_X_BUERGERCHAT_SECRET=secret).status_code == 200
        assert api.get("/buergerchat/api/v1/messages", HTTP_X_BUERGERCHAT_SECRET=secret + "x").status_code == 401
        retention.purge_expired(dry_run=True)
        assert api.post("/buergerchat/api/v1/erase", HTTP_X_BUERGERCHAT_SECRET=secret).status_code == 200

    await sync_to_async(staff_http)()
    # Status changes (the close) and read receipts reach the citizen as well.
    await receive_type(citizen, "deleted", skip=("message", "conversation", "read"))
    await citizen.disconnect()
    await staff.disconnect()

    records = all_logs.records
    assert any(r.name.startswith("buergerchat_wagtail") for r in records)  # logging was captured
    assert any("deleted" in r.getMessage() for r in records)
    output = "\n".join(rendered(r) for r in records)
    for word in forbidden_strings(secret):
        bad = [(r.name, r.levelname, r.getMessage()[:200]) for r in records if word in rendered(r)]
        assert word not in output, f"{word!r} appears in the logs: {bad[:3]}"
    assert "203.0.113.5" not in output
