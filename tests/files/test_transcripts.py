"""Citizen transcript download, staff archiving (button, on close, batch command),
the archive view and its rights, and the log of downloads."""

import io
import re
import uuid

import pikepdf
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from wagtail.models import ModelLogEntry

from buergerchat_wagtail.casework import workflow
from buergerchat_wagtail.conversations import services
from buergerchat_wagtail.files import transcripts
from buergerchat_wagtail.models import ConversationStatus, SenderType, Transcript, TranscriptKind

pytestmark = pytest.mark.django_db

API = "/buergerchat/api/v1"
SECRET = "HTTP_X_BUERGERCHAT_SECRET"


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def pdf_body(response):
    return b"".join(response.streaming_content)


@pytest.fixture
def chat(dept_a, start_conversation):
    return start_conversation(dept_a, text="Frage zum Carport", name="Erika Muster")


@pytest.fixture
def other_chat(dept_b, start_conversation):
    return start_conversation(dept_b, text="Frage zum Personalausweis")


def test_citizen_downloads_own_transcript(chat, other_chat, django_capture_on_commit_callbacks):
    conversation, secret = chat
    _other, other_secret = other_chat
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        first = client.get(f"{API}/transcript", **{SECRET: secret})
    # Inside the test transaction the job runs after the view: "being prepared".
    assert first.status_code == 202
    assert first.json()["type"] == "pending" and first["Retry-After"] == "2"
    response = client.get(f"{API}/transcript", **{SECRET: secret})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith(f'attachment; filename="{conversation.reference}-')
    assert response["X-Content-Type-Options"] == "nosniff"
    data = pdf_body(response)
    with pikepdf.open(io.BytesIO(data)) as document:
        assert document.open_metadata()["pdfaid:part"] == "3"
    # The other citizen's secret yields the other conversation, never this one.
    with django_capture_on_commit_callbacks(execute=True):
        client.get(f"{API}/transcript", **{SECRET: other_secret})
    other = pdf_body(client.get(f"{API}/transcript", **{SECRET: other_secret}))
    from tests.files.test_pdf import pdf_text

    assert conversation.reference not in pdf_text(other)
    assert "Frage zum Carport" in pdf_text(data)
    assert client.get(f"{API}/transcript").status_code == 401
    assert client.get(f"{API}/transcript", **{SECRET: "falsch"}).status_code == 401


def test_citizen_copy_is_rebuilt_after_new_messages(chat, django_capture_on_commit_callbacks):
    conversation, secret = chat
    with django_capture_on_commit_callbacks(execute=True):
        Client().get(f"{API}/transcript", **{SECRET: secret})
    old = Transcript.objects.get(kind=TranscriptKind.CITIZEN)
    services.post_message(conversation=conversation, sender=SenderType.CITIZEN, body="Noch etwas", client_id=uuid.uuid4())
    assert transcripts.current_transcript(conversation, TranscriptKind.CITIZEN) is None
    with django_capture_on_commit_callbacks(execute=True):
        Client().get(f"{API}/transcript", **{SECRET: secret})
    new = Transcript.objects.get(kind=TranscriptKind.CITIZEN)  # the old copy is gone
    assert new.pk != old.pk and new.message_count == 2
    assert not Transcript.objects.archived().exists()


def test_archive_button_archives_and_logs(chat, worker_a, django_capture_on_commit_callbacks):
    conversation, _secret = chat
    client = logged_in(worker_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/buergerchat/conversations/{conversation.pk}/archive/")
    assert response.status_code == 302
    transcript = Transcript.objects.archived().get()
    assert transcript.created_by == worker_a
    assert transcript.department_id == conversation.department_id
    assert ModelLogEntry.objects.filter(action=transcripts.ARCHIVE_ACTION, object_id=str(transcript.pk)).exists()
    html = client.get(f"/admin/buergerchat/conversations/{conversation.pk}/").content.decode()
    assert f"/admin/buergerchat-archive/{transcript.pk}/download/" in html


def test_archive_and_close_refused_for_other_department(chat, worker_b):
    conversation, _secret = chat
    client = logged_in(worker_b)
    assert client.post(f"/admin/buergerchat/conversations/{conversation.pk}/archive/").status_code == 403
    assert client.post(f"/admin/buergerchat/conversations/{conversation.pk}/close/").status_code == 403
    conversation.refresh_from_db()
    assert conversation.status != ConversationStatus.CLOSED
    assert not Transcript.objects.exists()


def test_close_archives_when_the_department_asks(chat, worker_a, dept_a, django_capture_on_commit_callbacks):
    conversation, _secret = chat
    client = logged_in(worker_a)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/buergerchat/conversations/{conversation.pk}/close/")
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.CLOSED
    assert not Transcript.objects.exists()  # archive_on_close is off by default
    conversation.status = ConversationStatus.OPEN
    conversation.save()
    dept_a.archive_on_close = True
    dept_a.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/buergerchat/conversations/{conversation.pk}/close/", follow=True)
    assert response.status_code == 200
    assert Transcript.objects.archived().filter(conversation=conversation).count() == 1
    # a close of a closed conversation changes nothing
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/buergerchat/conversations/{conversation.pk}/close/")
    assert Transcript.objects.archived().count() == 1


def close_form(html):
    """The close form of the conversation view (the workflow's status form), or None."""
    match = re.search(r"<form[^>]*data-bc-close-form[^>]*>", html)
    return match.group(0) if match else None


def test_close_button_only_for_open_conversations(chat, worker_a):
    conversation, _secret = chat
    client = logged_in(worker_a)
    form = close_form(client.get(f"/admin/buergerchat/conversations/{conversation.pk}/").content.decode())
    assert form is not None and " hidden" not in form
    workflow.set_status(conversation, worker_a, ConversationStatus.CLOSED)
    # Kept in the page but hidden, so it can be shown again live when the conversation reopens.
    form = close_form(client.get(f"/admin/buergerchat/conversations/{conversation.pk}/").content.decode())
    assert form is not None and " hidden" in form


@pytest.fixture
def archived(chat, other_chat):
    a = transcripts.archive_conversation(chat[0].pk)
    b = transcripts.archive_conversation(other_chat[0].pk)
    return a, b


def test_archive_listing_is_per_department(archived, worker_a, worker_b, superuser):
    a, b = archived
    html = logged_in(worker_a).get("/admin/buergerchat-archive/").content.decode()
    assert a.reference in html and b.reference not in html
    html = logged_in(worker_b).get("/admin/buergerchat-archive/").content.decode()
    assert b.reference in html and a.reference not in html
    html = logged_in(superuser).get("/admin/buergerchat-archive/").content.decode()
    assert a.reference in html and b.reference in html


def test_archive_search_and_filters(archived, superuser, dept_a, dept_b):
    a, b = archived
    client = logged_in(superuser)
    html = client.get("/admin/buergerchat-archive/", {"q": a.reference}).content.decode()
    assert a.reference in html and b.reference not in html
    html = client.get("/admin/buergerchat-archive/", {"q": "Personalausweis"}).content.decode()
    assert b.reference in html and a.reference not in html
    html = client.get("/admin/buergerchat-archive/", {"department": dept_a.pk}).content.decode()
    assert a.reference in html and b.reference not in html
    day = a.created_at.date().isoformat()
    html = client.get("/admin/buergerchat-archive/", {"created_at_from": day, "created_at_to": day}).content.decode()
    assert a.reference in html
    html = client.get("/admin/buergerchat-archive/", {"created_at_from": "2000-01-01", "created_at_to": "2000-01-02"}).content.decode()
    assert a.reference not in html and b.reference not in html


def test_archive_download_rights_and_log(archived, worker_a, worker_b, plain_user):
    a, _b = archived
    url = f"/admin/buergerchat-archive/{a.pk}/download/"
    response = logged_in(worker_a).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert pdf_body(response).startswith(b"%PDF-")
    entries = ModelLogEntry.objects.filter(action=transcripts.DOWNLOAD_ACTION, object_id=str(a.pk))
    assert entries.count() == 1 and entries.get().user == worker_a
    assert logged_in(worker_b).get(url).status_code == 403
    assert entries.count() == 1
    assert logged_in(plain_user).get(url).status_code == 302
    assert Client().get(url).status_code == 302


def test_archive_menu_only_for_staff(worker_a, plain_user, dept_a):
    html = logged_in(worker_a).get("/admin/").content.decode()
    assert "/admin/buergerchat-archive/" in html


def test_batch_command_archives_closed_and_resumes(dept_a, worker_a, start_conversation, monkeypatch):
    closed = []
    for number in range(3):
        conversation, _secret = start_conversation(dept_a, text=f"Anliegen {number}")
        workflow.set_status(conversation, worker_a, ConversationStatus.CLOSED)
        closed.append(conversation)
    open_one, _ = start_conversation(dept_a, text="noch offen")
    assert [c.pk for c in transcripts.conversations_to_archive()] == [c.pk for c in closed]

    original = transcripts.archive_conversation
    calls = []

    def interrupted(conversation_id, **kwargs):
        calls.append(conversation_id)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(conversation_id, **kwargs)

    import buergerchat_wagtail.management.commands.buergerchat_archive as command

    monkeypatch.setattr(command, "archive_conversation", interrupted)
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("buergerchat_archive", stdout=out)
    assert "Run the command again" in out.getvalue()
    assert Transcript.objects.archived().count() == 1
    monkeypatch.setattr(command, "archive_conversation", original)
    out = io.StringIO()
    call_command("buergerchat_archive", stdout=out)
    text = out.getvalue()
    assert "2 conversation(s) to archive." in text
    assert "2/2" in text and "2 archived, 0 failed." in text
    assert set(Transcript.objects.archived().values_list("conversation_id", flat=True)) == {c.pk for c in closed}
    assert open_one.pk not in Transcript.objects.values_list("conversation_id", flat=True)
    out = io.StringIO()
    call_command("buergerchat_archive", stdout=out)
    assert "0 conversation(s) to archive." in out.getvalue()
    # a new message after archiving makes the record stale: archived again
    services.post_message(conversation=closed[0], sender=SenderType.STAFF, body="Nachtrag", client_id=uuid.uuid4())
    workflow.set_status(closed[0], worker_a, ConversationStatus.CLOSED)
    call_command("buergerchat_archive", "--no-progress", stdout=io.StringIO())
    assert Transcript.objects.archived().filter(conversation=closed[0]).count() == 2


def test_batch_command_options(dept_a, worker_a, start_conversation):
    conversation, _ = start_conversation(dept_a)
    workflow.set_status(conversation, worker_a, ConversationStatus.CLOSED)
    out = io.StringIO()
    call_command("buergerchat_archive", "--dry-run", stdout=out)
    assert "1 conversation(s) to archive." in out.getvalue()
    assert not Transcript.objects.exists()
    with pytest.raises(CommandError):
        call_command("buergerchat_archive", "--department", "nope", stdout=io.StringIO())
    call_command("buergerchat_archive", "--department", dept_a.slug, "--limit", "1", stdout=io.StringIO())
    assert Transcript.objects.archived().count() == 1


def test_archive_keeps_its_record_when_the_conversation_is_deleted(archived, worker_a):
    a, _b = archived
    a.conversation.delete()
    a.refresh_from_db()
    assert a.conversation is None
    assert logged_in(worker_a).get(f"/admin/buergerchat-archive/{a.pk}/download/").status_code == 200


# --------------------------------------------------------------------------- internal notes


def note(conversation, user, body="Intern: Rückruf vereinbart"):
    message, _ = services.post_message(
        conversation=conversation, sender=SenderType.STAFF, body=body, client_id=uuid.uuid4(), author=user, internal=True
    )
    return message


def test_transcripts_never_contain_internal_notes(dept_a, worker_a, start_conversation):
    conversation, _ = start_conversation(dept_a, text="Frage zum Carport")
    workflow.take(conversation, worker_a)  # an internal event
    secret_note = note(conversation, worker_a)
    shown = list(transcripts.citizen_visible_messages(conversation))
    assert shown and all(not m.internal for m in shown)
    assert secret_note.pk not in {m.pk for m in shown}
    # A note does not make the citizen's or the archived transcript stale.
    assert transcripts.latest_message_id(conversation) == shown[-1].pk
    archived = transcripts.archive_conversation(conversation.pk)
    assert transcripts.is_current(archived, conversation)
    note(conversation, worker_a, "Noch eine Notiz")
    assert transcripts.is_current(archived, conversation)
