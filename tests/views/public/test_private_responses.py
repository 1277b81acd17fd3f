"""Chat content is never cached: every operation of the citizen API (walked from its
OpenAPI schema), with a valid and with a wrong secret, the start forms and the staff
JSON answer with ``Cache-Control: no-store`` (and ``Vary`` on the secret header)."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from buergerchat_wagtail.models import ConsultationSession
from buergerchat_wagtail.views.public.api import SECRET_HEADER, api


def assert_private(response, what):
    directives = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    assert "no-store" in directives, f"{what}: Cache-Control {response.get('Cache-Control')!r}"
    vary = {part.strip().lower() for part in response.get("Vary", "").split(",")}
    assert SECRET_HEADER.lower() in vary, f"{what}: Vary {response.get('Vary')!r}"


def operations():
    schema = api.get_openapi_schema(path_prefix="/buergerchat/api/v1")
    for path, methods in schema["paths"].items():
        for method in methods:
            yield method, path


def test_the_schema_has_the_operations():
    found = set(operations())
    assert ("get", "/buergerchat/api/v1/conversation") in found
    assert ("post", "/buergerchat/api/v1/attachments") in found
    assert len(found) >= 10


@pytest.mark.django_db
@pytest.mark.parametrize("secret_kind", ["valid", "wrong"])
def test_every_api_operation_is_private(secret_kind, dept_a, start_conversation):
    conversation, secret = start_conversation(dept_a)
    headers = {SECRET_HEADER: secret if secret_kind == "valid" else "not-the-secret"}
    client = Client(headers=headers)
    for method, path in operations():
        url = re.sub(r"\{[^}]+\}", "1", path)
        response = getattr(client, method)(url, content_type="application/json", data={} if method == "post" else None)
        assert_private(response, f"{method.upper()} {path} ({secret_kind} secret): {response.status_code}")
    # An unknown method on a known path is answered by the API too.
    assert_private(client.delete("/buergerchat/api/v1/conversation"), "DELETE /conversation")


@pytest.mark.django_db
def test_start_forms_are_private(dept_a):
    started = Client().post(f"/buergerchat/start/{dept_a.pk}/", {"text": "Frage", "privacy": "on"})
    assert started.status_code == 201
    assert_private(started, "start")
    assert_private(Client().post(f"/buergerchat/start/{dept_a.pk}/", {}), "start with errors")
    now = timezone.now()
    session = ConsultationSession.objects.create(
        title="Sprechstunde", host="OB", department=dept_a, starts_at=now, ends_at=now + timezone.timedelta(hours=1)
    )
    joined = Client().post(f"/buergerchat/consultations/{session.pk}/join/", {"text": "Frage", "privacy": "on"})
    assert joined.status_code == 201
    assert_private(joined, "join queue")


@pytest.mark.django_db
def test_staff_json_is_not_cached(dept_a, worker_a, start_conversation):
    conversation, _ = start_conversation(dept_a)
    client = Client()
    client.force_login(worker_a)
    url = reverse("buergerchat_inbox:messages", args=[conversation.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
