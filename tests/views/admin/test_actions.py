"""The case worker's actions over HTTP (take, assign, transfer, status, read, notes and
replies): refused for a conversation of a department the user does not belong to, and
their errors use the socket's codes. The same edges over the socket are in
tests/realtime/test_staff_consumer.py."""

import json
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from buergerchat_wagtail.models import Conversation
from tests.conftest import unchanged


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
    refused = client_for(plain_user).post(url, data)
    assert refused.status_code == 302 and refused["Location"].startswith("/admin/login/")
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
