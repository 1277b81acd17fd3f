"""Script payloads in every citizen-, staff- and editor-writable field are escaped in
every server-rendered page (the browser side is tests/e2e/test_security_browser.py).
The app sends no e-mails yet; PDF transcripts get their own check when they exist."""

import uuid

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils.html import escape

from buergerchat_wagtail.conversations import services
from buergerchat_wagtail.models import SenderType

pytestmark = pytest.mark.django_db

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def poisoned(dept_a, worker_a):
    dept_a.name = "Amt " + PAYLOAD
    dept_a.greeting = "Gruß " + PAYLOAD
    dept_a.description = "Beschreibung " + PAYLOAD
    dept_a.save()
    worker_a.first_name = "Berta" + PAYLOAD
    worker_a.save()
    worker_a.user_permissions.add(Permission.objects.get(codename="erase_conversation"))
    conversation, secret = services.start_conversation(
        department=dept_a, text="Betreff " + PAYLOAD + "\nText " + PAYLOAD, name="Name " + PAYLOAD
    )
    services.post_message(
        conversation=conversation, sender=SenderType.STAFF, body="Antwort " + PAYLOAD, client_id=uuid.uuid4(), author=worker_a
    )
    client = Client()
    client.force_login(type(worker_a).objects.get(pk=worker_a.pk))
    return conversation, secret, client


def assert_escaped(content):
    assert PAYLOAD not in content
    assert "<script>alert" not in content and "<img src=x" not in content
    assert escape(PAYLOAD) in content


def test_admin_pages_escape_every_field(poisoned, superuser):
    conversation, _, client = poisoned
    base = f"/admin/buergerchat/conversations/{conversation.pk}/"
    for url in ("/admin/buergerchat/", "/admin/buergerchat/results/", base, base + "erase/", base + "history/"):
        response = client.get(url)
        assert response.status_code == 200, url
        if url in (base + "history/", base + "erase/"):  # these show the reference only
            assert PAYLOAD not in response.content.decode() and "<script>alert" not in response.content.decode()
        else:
            assert_escaped(response.content.decode())
    admin = Client()
    admin.force_login(superuser)
    assert PAYLOAD not in admin.get("/admin/reports/site-history/").content.decode()
    assert PAYLOAD not in admin.get("/admin/snippets/buergerchat/department/").content.decode()


def test_widget_page_escapes_editor_fields(poisoned, chat_page_factory, dept_a):
    page = chat_page_factory(dept_a, slug="xss", heading="Kopf " + PAYLOAD, intro="Intro " + PAYLOAD)
    content = Client().get(page.url).content.decode()
    assert PAYLOAD not in content and escape(PAYLOAD) in content


def test_json_answers_are_not_html(poisoned):
    conversation, secret, client = poisoned
    for response in (
        Client().get("/buergerchat/api/v1/conversation", HTTP_X_BUERGERCHAT_SECRET=secret),
        Client().get("/buergerchat/api/v1/export", HTTP_X_BUERGERCHAT_SECRET=secret),
        client.get(f"/admin/buergerchat/conversations/{conversation.pk}/export/"),
    ):
        assert response["Content-Type"] == "application/json"
        assert response.headers.get("X-Content-Type-Options") == "nosniff"
