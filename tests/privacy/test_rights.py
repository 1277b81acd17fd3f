"""Data subject rights (export, erasure), the privacy notice version and the audit log."""

import re
import json
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import Permission
from django.test import Client
from wagtail.models import ModelLogEntry

from buergerchat_wagtail.conversations import audit, services
from buergerchat_wagtail.editor.forms import privacy_token, verified_privacy_page_id
from buergerchat_wagtail.files import cleanup as files_cleanup
from buergerchat_wagtail.files import export as files_export
from buergerchat_wagtail.models import Conversation, ConversationStatus, Message, SenderType
from tests.conftest import citizen_socket, receive_type, staff_socket

API = "/buergerchat/api/v1"
SECRET = "HTTP_X_BUERGERCHAT_SECRET"


def conv_url(conversation, suffix=""):
    return f"/admin/buergerchat/conversations/{conversation.pk}/{suffix}"


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def talk(dept_a, worker_a, start_conversation):
    conversation, secret = start_conversation(dept_a, text="Frage zur Garage\nDetails", name="Erika", email="erika@example.org")
    services.post_message(
        conversation=conversation, sender=SenderType.STAFF, body="Antwort", client_id=uuid.uuid4(), author=worker_a
    )
    return conversation, secret


def grant_erase(user):
    user.user_permissions.add(Permission.objects.get(codename="erase_conversation"))
    return type(user).objects.get(pk=user.pk)  # fresh permission cache


# --------------------------------------------------------------------------- citizen


@pytest.mark.django_db
def test_citizen_downloads_all_their_data(talk):
    conversation, secret = talk
    response = Client().get(API + "/export", **{SECRET: secret})
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="buergerchat-{conversation.reference}.json"'
    assert "no-store" in response["Cache-Control"]
    document = response.json()
    assert document["format"] == "buergerchat-export/1"
    assert document["conversation"]["reference"] == conversation.reference
    assert document["conversation"]["citizen_name"] == "Erika"
    assert document["conversation"]["citizen_email"] == "erika@example.org"
    assert document["conversation"]["retention_days"] == 90
    assert [m["body"] for m in document["messages"]] == ["Frage zur Garage\nDetails", "Antwort"]
    # Staff names are not the citizen's data: staff messages carry the department name.
    assert document["messages"][1]["author"] == "Bauverwaltung"
    # No files; the citizen's PDF transcript is offered by its URL (rendered on request).
    assert document["attachments"] == []
    assert document["documents"] == [
        {"type": "transcript", "format": "pdf", "url": "http://testserver/buergerchat/api/v1/transcript"}
    ]
    entry = ModelLogEntry.objects.get(action=audit.CITIZEN_EXPORT)
    assert entry.user is None and entry.object_id == str(conversation.pk)


@pytest.mark.django_db
def test_export_includes_the_files_sections(talk, monkeypatch):
    conversation, secret = talk
    monkeypatch.setattr(
        files_export, "documents_section", lambda conversation, audience, request: [{"type": "t", "audience": audience}]
    )
    document = Client().get(API + "/export", **{SECRET: secret}).json()
    assert document["documents"] == [{"type": "t", "audience": "citizen"}]
    assert document["attachments"] == []


@pytest.mark.django_db
def test_citizen_export_and_erase_need_the_secret(talk):
    for method, path in (("get", "/export"), ("post", "/erase")):
        for headers in ({}, {SECRET: "wrong"}):
            response = getattr(Client(), method)(API + path, **headers)
            assert response.status_code == 401
            assert response.json()["code"] == "auth_failed"
    assert Conversation.objects.count() == 1


@pytest.mark.django_db
def test_citizen_deletes_their_conversation(talk):
    conversation, secret = talk
    response = Client().post(API + "/erase", **{SECRET: secret})
    assert response.status_code == 200
    assert response.json() == {"v": 1, "type": "erased"}
    assert not Conversation.objects.exists() and not Message.objects.exists()
    entry = ModelLogEntry.objects.get(action=audit.CITIZEN_ERASE)
    assert entry.deleted and entry.label == conversation.reference and entry.data == {"messages": 2, "attachments": 0, "citizen_transcripts": 0, "archived_transcripts": 0}
    assert Client().get(API + "/conversation", **{SECRET: secret}).status_code == 401


@pytest.mark.django_db
def test_citizen_request_is_recorded_when_an_archive_is_required(talk, dept_a, worker_a, monkeypatch):
    dept_a.archive_before_purge = True
    dept_a.save()
    conversation, secret = talk
    response = Client().post(API + "/erase", **{SECRET: secret})
    assert response.json() == {"v": 1, "type": "erasure_requested"}
    conversation.refresh_from_db()
    assert conversation.erasure_requested_at is not None
    assert conversation.status == ConversationStatus.CLOSED and conversation.closed_at is not None
    assert ModelLogEntry.objects.filter(action=audit.ERASURE_REQUEST).count() == 1
    page = logged_in(worker_a).get(conv_url(conversation)).content.decode()
    assert "data-bc-erasure-requested" in page

    # The purge keeps it until it is archived, then deletes it without waiting for the retention period.
    from buergerchat_wagtail.privacy import retention

    assert retention.purge_expired().blocked == 1
    monkeypatch.setattr(files_cleanup, "is_archived", lambda c: True)
    assert retention.purge_expired().conversations == 1
    assert not Conversation.objects.exists()


@pytest.mark.django_db(transaction=True)
async def test_open_sockets_hear_of_the_deletion(talk, worker_a, open_socket):
    conversation, secret = talk
    citizen, _ = await citizen_socket(open_socket, secret)
    staff, _ = await staff_socket(open_socket, worker_a)
    await staff.send_json_to({"v": 1, "type": "subscribe", "conversation": conversation.pk})
    await receive_type(staff, "ready")
    response = await sync_to_async(lambda: Client().post(API + "/erase", **{SECRET: secret}))()
    assert response.status_code == 200
    assert await receive_type(citizen, "deleted") == {"v": 1, "type": "deleted"}
    assert await receive_type(staff, "deleted", skip=("conversation",)) == {
        "v": 1,
        "type": "deleted",
        "conversation": conversation.pk,
    }
    # The citizen socket is no longer attached to the conversation.
    await citizen.send_json_to({"v": 1, "type": "sync", "after": 0})
    assert (await receive_type(citizen, "error"))["code"] == "not_authenticated"
    await citizen.disconnect()
    await staff.disconnect()


# --------------------------------------------------------------------------- staff


@pytest.mark.django_db
def test_staff_export_is_recorded(talk, worker_a, worker_b):
    conversation, _ = talk
    assert logged_in(worker_b).get(conv_url(conversation, "export/")).status_code == 403
    response = logged_in(worker_a).get(conv_url(conversation, "export/"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    document = json.loads(response.content)
    assert document["messages"][1]["author"] == "Berta Baumann"  # staff see colleagues' names
    assert document["conversation"]["citizen_email"] == "erika@example.org"
    entry = ModelLogEntry.objects.get(action=audit.EXPORT)
    assert entry.user == worker_a and entry.data == {}


@pytest.mark.django_db
def test_staff_erase_needs_the_erase_permission(talk, worker_a, worker_b):
    conversation, _ = talk
    assert logged_in(worker_a).get(conv_url(conversation, "erase/")).status_code == 403
    assert logged_in(worker_a).post(conv_url(conversation, "erase/")).status_code == 403
    assert 'data-bc-action="erase"' not in logged_in(worker_a).get(conv_url(conversation)).content.decode()
    # The permission alone is not enough for another department.
    assert logged_in(grant_erase(worker_b)).post(conv_url(conversation, "erase/")).status_code == 403
    assert Conversation.objects.count() == 1

    worker_a = grant_erase(worker_a)
    client = logged_in(worker_a)
    assert 'data-bc-action="erase"' in client.get(conv_url(conversation)).content.decode()
    confirm = client.get(conv_url(conversation, "erase/"))
    assert confirm.status_code == 200 and conversation.reference in confirm.content.decode()
    response = client.post(conv_url(conversation, "erase/"))
    assert response.status_code == 302 and response["Location"] == "/admin/buergerchat/"
    assert not Conversation.objects.exists() and not Message.objects.exists()
    entry = ModelLogEntry.objects.get(action=audit.ERASE)
    assert entry.user == worker_a and entry.deleted and entry.label == conversation.reference


@pytest.mark.django_db
def test_superuser_may_erase(talk, superuser):
    conversation, _ = talk
    assert logged_in(superuser).post(conv_url(conversation, "erase/")).status_code == 302
    assert not Conversation.objects.exists()


@pytest.mark.django_db
def test_erase_permission_is_offered_in_group_settings(superuser, group_a):
    from django.urls import reverse

    response = logged_in(superuser).get(reverse("wagtailusers_groups:edit", args=[group_a.pk]))
    assert response.status_code == 200
    permission = Permission.objects.get(codename="erase_conversation")
    assert f'value="{permission.pk}"' in response.content.decode()


# --------------------------------------------------------------------------- audit log


@pytest.mark.django_db
def test_opening_and_answering_are_recorded(talk, worker_a):
    conversation, _ = talk
    client = logged_in(worker_a)
    client.get(conv_url(conversation))
    client.get(conv_url(conversation, "messages/"), HTTP_ACCEPT="application/json")  # polling: not an "open"
    client.post(conv_url(conversation), {"body": "Per Formular", "client_id": str(uuid.uuid4())})
    actions = list(
        ModelLogEntry.objects.filter(object_id=str(conversation.pk)).order_by("pk").values_list("action", "user__username")
    )
    assert actions == [
        (audit.REPLY, "bauamt"),  # the fixture's reply
        (audit.VIEW, "bauamt"),
        (audit.REPLY, "bauamt"),
    ]


@pytest.mark.django_db(transaction=True)
async def test_socket_replies_are_recorded(talk, worker_a, open_socket):
    conversation, _ = talk
    staff, _ = await staff_socket(open_socket, worker_a)
    await staff.send_json_to(
        {"v": 1, "type": "message", "conversation": conversation.pk, "client_id": str(uuid.uuid4()), "body": "Per Socket"}
    )
    ack = await receive_type(staff, "ack", skip=("message", "conversation"))
    count = await sync_to_async(
        lambda: ModelLogEntry.objects.filter(action=audit.REPLY, data__message=ack["message"]["id"]).count()
    )()
    assert count == 1
    await staff.disconnect()


@pytest.mark.django_db
def test_history_is_visible_in_wagtail_reports(talk, worker_a, worker_b, superuser):
    conversation, _ = talk
    client = logged_in(worker_a)
    client.get(conv_url(conversation))
    client.get(conv_url(conversation, "export/"))
    history = client.get(conv_url(conversation, "history/"))
    assert history.status_code == 200
    content = history.content.decode()
    for label in ("Gespräch geöffnet", "Antwort gesendet", "Gespräch exportiert (Art. 15 DSGVO)"):
        assert label in content
    assert logged_in(worker_b).get(conv_url(conversation, "history/")).status_code == 403
    assert logged_in(worker_b).get(conv_url(conversation, "history/results/")).status_code == 403
    site_history = logged_in(superuser).get("/admin/reports/site-history/").content.decode()
    assert "Gespräch exportiert (Art. 15 DSGVO)" in site_history
    assert conversation.reference in site_history
    assert "Frage zur Garage" not in site_history and "Erika" not in site_history


# --------------------------------------------------------------------------- privacy notice version


def start(department, **extra):
    data = {"text": "Frage", "privacy": "on", **extra}
    return Client().post(f"/buergerchat/start/{department.pk}/", data)


@pytest.mark.django_db
def test_privacy_notice_version_is_stored_with_the_conversation(dept_a, privacy_page):
    privacy_page.save_revision().publish()  # pages edited in the CMS have revisions
    privacy_page.refresh_from_db()
    response = start(dept_a, privacy_page=privacy_page.pk, privacy_token=privacy_token(privacy_page.pk))
    assert response.status_code == 201
    conversation = Conversation.objects.get()
    assert conversation.privacy_page_id == privacy_page.pk
    assert conversation.privacy_revision_id == privacy_page.live_revision_id is not None
    assert conversation.privacy_version.startswith(f"page {privacy_page.pk}, revision {privacy_page.live_revision_id}, ")

    # A new version of the notice is published: new conversations record it, old ones keep theirs.
    revision = privacy_page.save_revision()
    revision.publish()
    privacy_page.refresh_from_db()
    start(dept_a, privacy_token=privacy_token(privacy_page.pk))
    newer = Conversation.objects.order_by("-pk").first()
    assert newer.privacy_revision_id == revision.pk != conversation.privacy_revision_id
    conversation.refresh_from_db()
    assert conversation.privacy_revision_id != revision.pk


@pytest.mark.django_db
def test_privacy_version_cannot_be_forged(dept_a, privacy_page):
    start(dept_a, privacy_page=privacy_page.pk, privacy_token=str(privacy_page.pk))  # unsigned
    start(dept_a, privacy_token=privacy_token(privacy_page.pk) + "x")  # tampered
    assert list(Conversation.objects.values_list("privacy_version", "privacy_revision")) == [("", None), ("", None)]


@pytest.mark.django_db
def test_chat_block_renders_the_signed_token(chat_page, privacy_page):
    content = Client().get(chat_page.url).content.decode()
    tokens = re.findall(r'name="privacy_token" value="([^"]+)"', content)
    assert tokens and all(verified_privacy_page_id(token) == privacy_page.pk for token in tokens)
