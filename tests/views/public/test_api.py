"""The citizen's HTTP side: the start form endpoint and the JSON fallback API."""

import hashlib
import io
import json
import uuid

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils.html import escape

from buergerchat_wagtail.models import Conversation, Message, SenderType

pytestmark = pytest.mark.django_db

API = "/buergerchat/api/v1"
SECRET_HEADER = "HTTP_X_BUERGERCHAT_SECRET"


@pytest.fixture
def client():
    # CSRF enforced as in a real browser: the citizen endpoints must work without
    # a CSRF cookie, since they may not set one before consent.
    return Client(enforce_csrf_checks=True)


def start_url(department):
    return f"/buergerchat/start/{department.pk}/"


def valid_form(**overrides):
    data = {
        "text": "Ich brauche einen neuen Personalausweis.\nWann haben Sie geöffnet?",
        "name": "Erika Mustermann",
        "email": "erika@example.org",
        "privacy": "on",
        "widget_id": "abc123",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def assert_no_cookie(response):
    assert not response.cookies, f"unexpected cookies: {response.cookies}"
    assert "Set-Cookie" not in response.headers


def api_get(client, path, secret=None, **extra):
    if secret is not None:
        extra[SECRET_HEADER] = secret
    return client.get(API + path, **extra)


def api_post(client, path, body, secret=None):
    extra = {SECRET_HEADER: secret} if secret is not None else {}
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(API + path, data=data, content_type="application/json", **extra)


def message_frame(body, client_id=None):
    return {"v": 1, "type": "message", "client_id": str(client_id or uuid.uuid4()), "body": body}


# --------------------------------------------------------------------------- start view


def test_start_creates_conversation(client, dept_a):
    response = client.post(start_url(dept_a), valid_form())
    assert response.status_code == 201
    assert response["Content-Type"].startswith("application/json")
    data = response.json()
    assert data["v"] == 1
    assert data["type"] == "started"
    secret = data["secret"]
    assert isinstance(secret, str) and len(secret) >= 43
    assert data["conversation"]["department"] == "Bauverwaltung"
    assert data["conversation"]["subject"] == "Ich brauche einen neuen Personalausweis."
    assert data["conversation"]["reference"].startswith("BC-")
    assert [m["body"] for m in data["messages"]] == [
        "Ich brauche einen neuen Personalausweis.\nWann haben Sie geöffnet?"
    ]
    assert data["messages"][0]["sender"] == "citizen"

    conversation = Conversation.objects.get()
    assert conversation.department == dept_a
    assert conversation.reference == data["conversation"]["reference"]
    assert conversation.citizen_name == "Erika Mustermann"
    assert conversation.citizen_email == "erika@example.org"
    assert conversation.messages.count() == 1


def test_start_does_not_store_the_secret_in_plaintext(client, dept_a):
    secret = client.post(start_url(dept_a), valid_form()).json()["secret"]
    conversation = Conversation.objects.get()
    assert conversation.secret_hash != secret
    assert secret not in conversation.secret_hash
    assert conversation.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert Conversation.objects.for_secret(secret).get() == conversation


def test_start_secrets_are_unique(client, dept_a):
    secrets = {client.post(start_url(dept_a), valid_form()).json()["secret"] for _ in range(3)}
    assert len(secrets) == 3


def test_start_sets_no_cookie(client, dept_a):
    response = client.post(start_url(dept_a), valid_form())
    assert response.status_code == 201
    assert_no_cookie(response)
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


def test_invalid_start_sets_no_cookie(client, dept_a):
    response = client.post(start_url(dept_a), valid_form(text=""))
    assert response.status_code == 400
    assert_no_cookie(response)


def test_chat_page_sets_no_cookie(client, chat_page):
    response = client.get(chat_page.url)
    assert response.status_code == 200
    assert b"data-bc-start-form" in response.content
    assert_no_cookie(response)
    assert b"csrfmiddlewaretoken" not in response.content


def test_demo_pages_set_no_cookie(client):
    call_command("load_demo", stdout=io.StringIO())
    for path in ("/bauverwaltung/", "/buergerbuero/", "/datenschutz/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_no_cookie(response)
    page = client.get("/bauverwaltung/").content.decode()
    assert "Chat mit der Bauverwaltung" in page
    assert "data-bc-start-form" in page


def test_start_with_privacy_page_renders_link_in_errors(client, dept_a, privacy_page):
    response = client.post(start_url(dept_a), valid_form(privacy=None, privacy_page=str(privacy_page.pk)))
    assert response.status_code == 400
    assert f'href="{privacy_page.url}"' in response.json()["form_html"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"text": None}, "text", id="missing-text"),
        pytest.param({"text": "   \n  "}, "text", id="whitespace-text"),
        pytest.param({"text": "x" * 4001}, "text", id="too-long-text"),
        pytest.param({"privacy": None}, "privacy", id="privacy-unchecked"),
        pytest.param({"email": "not-an-email"}, "email", id="bad-email"),
    ],
)
def test_invalid_start_returns_form_errors(client, dept_a, overrides, field):
    response = client.post(start_url(dept_a), valid_form(**overrides))
    assert response.status_code == 400
    data = response.json()
    assert data["type"] == "error"
    assert data["code"] == "invalid_form"
    assert data["detail"]
    assert list(data["fields"]) == [field]
    errors = data["fields"][field]
    assert errors and all(errors)
    for error in errors:
        assert escape(error) in data["form_html"]
    # The re-rendered form keeps the widget id and the citizen's input.
    assert 'id="bc-abc123-text"' in data["form_html"]
    assert "data-bc-start-form" in data["form_html"]
    assert not Conversation.objects.exists()
    assert not Message.objects.exists()


def test_invalid_start_keeps_what_was_typed(client, dept_a):
    data = client.post(start_url(dept_a), valid_form(email="kaputt", text="Mein <b>Anliegen</b>")).json()
    assert "Mein &lt;b&gt;Anliegen&lt;/b&gt;" in data["form_html"]
    assert "<b>Anliegen</b>" not in data["form_html"]


def test_start_with_inactive_department_is_404(client, dept_a):
    dept_a.is_active = False
    dept_a.save()
    response = client.post(start_url(dept_a), valid_form())
    assert response.status_code == 404
    assert not Conversation.objects.exists()


def test_start_with_unknown_department_is_404(client, dept_a):
    response = client.post("/buergerchat/start/987654/", valid_form())
    assert response.status_code == 404


def test_start_get_not_allowed(client, dept_a):
    response = client.get(start_url(dept_a))
    assert response.status_code == 405
    assert not Conversation.objects.exists()


# --------------------------------------------------------------------------- API: authentication


@pytest.fixture
def conv(dept_a, start_conversation):
    return start_conversation(dept_a, text="Frage A")


def test_api_conversation_ready(client, conv):
    conversation, secret = conv
    response = api_get(client, "/conversation", secret)
    assert response.status_code == 200
    data = response.json()
    assert data["v"] == 1
    assert data["type"] == "ready"
    assert data["conversation"]["reference"] == conversation.reference
    assert data["conversation"]["greeting"] == conversation.department.greeting
    assert "id" not in data["conversation"]
    assert [m["body"] for m in data["messages"]] == ["Frage A"]
    assert_no_cookie(response)


@pytest.mark.parametrize("secret", [None, "", "falsch", "x" * 500])
def test_api_wrong_or_missing_secret_is_401(client, conv, secret):
    for path in ("/conversation", "/messages"):
        response = api_get(client, path, secret)
        assert response.status_code == 401
        data = response.json()
        assert data["v"] == 1
        assert data["type"] == "error"
        assert data["code"] == "auth_failed"
    response = api_post(client, "/messages", message_frame("Hallo"), secret)
    assert response.status_code == 401
    assert response.json()["code"] == "auth_failed"
    assert Message.objects.count() == 1


def test_api_secret_in_query_is_not_accepted(client, conv):
    _conversation, secret = conv
    for name in ("secret", "X-Buergerchat-Secret", "key", "api_key"):
        response = client.get(f"{API}/conversation", {name: secret})
        assert response.status_code == 401, name
        assert response.json()["code"] == "auth_failed"


def test_api_secret_in_cookie_is_not_accepted(client, conv):
    _conversation, secret = conv
    client.cookies["X-Buergerchat-Secret"] = secret
    response = client.get(f"{API}/conversation")
    assert response.status_code == 401


# --------------------------------------------------------------------------- API: messages


def test_api_post_message_and_idempotent_resend(client, conv):
    conversation, secret = conv
    client_id = uuid.uuid4()
    response = api_post(client, "/messages", message_frame("Noch eine Frage", client_id), secret)
    assert response.status_code == 201
    ack = response.json()
    assert ack["type"] == "ack"
    assert ack["duplicate"] is False
    assert ack["client_id"] == str(client_id)
    assert ack["message"]["body"] == "Noch eine Frage"
    assert ack["message"]["sender"] == "citizen"

    again = api_post(client, "/messages", message_frame("Noch eine Frage", client_id), secret)
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert again.json()["message"]["id"] == ack["message"]["id"]

    assert Message.objects.filter(conversation=conversation, client_id=client_id).count() == 1
    stored = Message.objects.get(pk=ack["message"]["id"])
    assert stored.sender == SenderType.CITIZEN
    assert stored.author is None


def test_api_message_updates_conversation(client, conv):
    conversation, secret = conv
    before = Conversation.objects.get(pk=conversation.pk).last_activity_at
    api_post(client, "/messages", message_frame("Neu"), secret)
    conversation.refresh_from_db()
    assert conversation.last_activity_at > before
    assert conversation.waiting_since is not None


@pytest.mark.parametrize(
    ("body", "code"),
    [
        pytest.param(message_frame(""), "message_empty", id="empty"),
        pytest.param(message_frame(" \n "), "message_empty", id="whitespace"),
        pytest.param(message_frame("x" * 4001), "message_too_long", id="too-long"),
        pytest.param("{nicht json", "invalid_json", id="malformed-json"),
        pytest.param("", "invalid_json", id="no-body"),
        pytest.param(b"\xff\xfe\xfa", "invalid_json", id="not-utf8"),
        pytest.param("[]", "invalid_frame", id="json-array"),
        pytest.param({"v": 1, "type": "message", "body": "ohne id"}, "invalid_frame", id="missing-client-id"),
        pytest.param({"v": 2, "type": "message", "client_id": str(uuid.uuid4()), "body": "x"}, "unsupported_version", id="version"),
        pytest.param({"v": 1, "type": "auth", "secret": "x"}, "unknown_type", id="wrong-type"),
    ],
)
def test_api_post_invalid_message_is_400(client, conv, body, code):
    _conversation, secret = conv
    response = api_post(client, "/messages", body, secret)
    assert response.status_code == 400
    data = response.json()
    assert data["v"] == 1
    assert data["type"] == "error"
    assert data["code"] == code
    assert data["detail"]
    assert Message.objects.count() == 1


def test_api_message_of_exactly_max_length_is_accepted(client, conv):
    response = api_post(client, "/messages", message_frame("m" * 4000), conv[1])
    assert response.status_code == 201


def test_api_get_messages_after(client, conv):
    _conversation, secret = conv
    ids = [
        api_post(client, "/messages", message_frame(text), secret).json()["message"]["id"]
        for text in ("zwei", "drei", "vier")
    ]
    all_messages = api_get(client, "/messages", secret).json()
    assert all_messages["type"] == "messages"
    assert [m["body"] for m in all_messages["messages"]] == ["Frage A", "zwei", "drei", "vier"]

    after = api_get(client, f"/messages?after={ids[0]}", secret).json()
    assert [m["body"] for m in after["messages"]] == ["drei", "vier"]
    assert [m["id"] for m in after["messages"]] == ids[1:]

    assert api_get(client, f"/messages?after={ids[-1]}", secret).json()["messages"] == []
    ready = api_get(client, f"/conversation?after={ids[1]}", secret).json()
    assert [m["body"] for m in ready["messages"]] == ["vier"]


@pytest.mark.parametrize("after", ["-1", "abc", "1.5", str(2**63)])
def test_api_invalid_after_is_400(client, conv, after):
    for path in ("/messages", "/conversation"):
        response = api_get(client, f"{path}?after={after}", conv[1])
        assert response.status_code == 400, (path, after)
        data = response.json()
        assert data["type"] == "error"
        assert data["code"] == "invalid_request"


def test_api_citizens_are_isolated(client, dept_a, start_conversation):
    conv_a, secret_a = start_conversation(dept_a, text="Geheimnis von A")
    conv_b, secret_b = start_conversation(dept_a, text="Geheimnis von B")
    api_post(client, "/messages", message_frame("Noch mehr von B"), secret_b)

    for path in ("/conversation", "/messages"):
        data = api_get(client, path, secret_a).json()
        bodies = [m["body"] for m in data["messages"]]
        assert bodies == ["Geheimnis von A"]
    # Even asking for messages after 0 never crosses conversations.
    assert [m["body"] for m in api_get(client, "/messages?after=0", secret_a).json()["messages"]] == [
        "Geheimnis von A"
    ]
    # A's message goes to A's conversation only.
    api_post(client, "/messages", message_frame("Zweite von A"), secret_a)
    assert list(conv_b.messages.values_list("body", flat=True)) == ["Geheimnis von B", "Noch mehr von B"]
    assert list(conv_a.messages.values_list("body", flat=True)) == ["Geheimnis von A", "Zweite von A"]


def test_api_staff_messages_shown_with_department_name(client, conv, worker_a):
    from buergerchat_wagtail.conversations import services

    conversation, secret = conv
    services.post_message(
        conversation=conversation, sender=SenderType.STAFF, body="Antwort", client_id=uuid.uuid4(), author=worker_a
    )
    messages = api_get(client, "/messages", secret).json()["messages"]
    assert messages[-1]["body"] == "Antwort"
    assert messages[-1]["author"] == "Bauverwaltung"
    assert "Berta" not in json.dumps(messages)


def test_openapi_schema(client):
    client.raise_request_exception = False
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200, response.content[:200]
    schema = response.json()
    assert schema["info"]["title"] == "Bürgerchat citizen API"
    assert f"{API}/conversation" in schema["paths"]
    assert "post" in schema["paths"][f"{API}/messages"]


def test_api_database_failure_is_503(client, conv, monkeypatch):
    from django.db import OperationalError

    from buergerchat_wagtail.conversations import services

    def broken(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(services, "post_message", broken)
    client.raise_request_exception = False
    response = api_post(client, "/messages", message_frame("Hallo"), conv[1])
    assert response.status_code == 503
    data = response.json()
    assert data["type"] == "error"
    assert data["code"] == "unavailable"
