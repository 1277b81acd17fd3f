"""Attachments and transcripts under the data protection rules: encrypted at rest (attachment
files, PDFs, file names, transcript subjects), deleted with their conversation by
the retention hooks, exported, rotated, rate limited and audited."""

import uuid

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings
from wagtail.models import ModelLogEntry

from buergerchat_wagtail import crypto
from buergerchat_wagtail.casework import workflow
from buergerchat_wagtail.conversations import audit, payloads, services
from buergerchat_wagtail.files import attachments as attachment_domain
from buergerchat_wagtail.files import cleanup as files_cleanup
from buergerchat_wagtail.files import transcripts
from buergerchat_wagtail.files.storage import private_storage, raw_private_storage
from buergerchat_wagtail.models import (
    Attachment,
    Conversation,
    ConversationStatus,
    SenderType,
    Transcript,
    TranscriptKind,
)
from buergerchat_wagtail.privacy import retention, rights
from tests.files import pdf_bytes, upload
from tests.test_crypto import KEY_1, all_text_in_database, raw_row

pytestmark = pytest.mark.django_db

SUBJECT = "Vertrauliche Bauvoranfrage Rosenweg"
FILE_NAME = "Gutachten-Rosenweg-Mustermann.pdf"
FILE_TEXT = "Altlastengutachten Rosenweg 17"
MARKER = b"created by Pillow PDF driver"  # in clear in every plain test PDF
API = "/buergerchat/api/v1"
SECRET = "HTTP_X_BUERGERCHAT_SECRET"


def raw_bytes(name):
    with raw_private_storage().open(name, "rb") as f:
        return f.read()


def plain_bytes(name):
    with private_storage().open(name, "rb") as f:
        return f.read()


@pytest.fixture
def with_files(dept_a, worker_a, django_capture_on_commit_callbacks):
    conversation, secret = services.start_conversation(department=dept_a, text=SUBJECT, name="Erika Mustermann")
    with django_capture_on_commit_callbacks(execute=True):  # the scan job releases the file
        attachment_domain.store_attachment(
            conversation=conversation,
            sender=SenderType.CITIZEN,
            uploaded=upload(FILE_NAME, pdf_bytes(FILE_TEXT)),
            client_id=uuid.uuid4(),
        )
    attachment = Attachment.objects.get(conversation=conversation)
    assert attachment.is_available
    archived = transcripts.store_transcript(conversation, TranscriptKind.ARCHIVE, user=worker_a)
    copy = transcripts.store_transcript(conversation, TranscriptKind.CITIZEN)
    return conversation, secret, attachment, archived, copy


def test_files_names_and_subjects_are_encrypted_at_rest(with_files):
    conversation, _, attachment, archived, copy = with_files
    assert MARKER in pdf_bytes(FILE_TEXT)  # the plain file really holds the marker
    dump = all_text_in_database()
    assert conversation.reference in dump
    for plain in (SUBJECT, "Rosenweg", FILE_NAME, "Mustermann"):
        assert plain not in dump
    assert crypto.is_token(raw_row("buergerchat_attachment", "name", attachment.pk))
    for transcript in (archived, copy):
        assert crypto.is_token(raw_row("buergerchat_transcript", "subject", transcript.pk))
    # The storage holds Fernet tokens only; the storage API decrypts.
    for name in (attachment.storage_name, archived.storage_name, copy.storage_name):
        stored = raw_bytes(name)
        assert stored.startswith(crypto.TOKEN_PREFIX.encode())
        for plain in (MARKER, b"Rosenweg", b"%PDF"):
            assert plain not in stored
    assert plain_bytes(attachment.storage_name) == pdf_bytes(FILE_TEXT)
    for transcript in (archived, copy):
        data = plain_bytes(transcript.storage_name)
        assert data.startswith(b"%PDF-") and len(data) == transcript.size
    # Loaded through the ORM, the values are plain again.
    assert Attachment.objects.get(pk=attachment.pk).name == FILE_NAME
    assert Transcript.objects.get(pk=archived.pk).subject == conversation.subject


def test_downloads_are_decrypted(with_files, worker_a):
    conversation, secret, attachment, archived, _ = with_files
    client = Client()
    response = client.get(f"{API}/attachments/{attachment.pk}", **{SECRET: secret})
    assert response.status_code == 200 and b"".join(response.streaming_content) == plain_bytes(attachment.storage_name)
    client.force_login(worker_a)
    response = client.get(f"/admin/buergerchat-archive/{archived.pk}/download/")
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF-")


def test_downloads_are_audited_without_subject_or_file_name(with_files, worker_a):
    conversation, _, attachment, archived, _ = with_files
    client = Client()
    client.force_login(worker_a)
    assert client.get(f"/admin/buergerchat/attachments/{attachment.pk}/").status_code == 200
    assert client.get(f"/admin/buergerchat-archive/{archived.pk}/download/").status_code == 200
    entries = ModelLogEntry.objects.filter(action=audit.DOWNLOAD)
    assert entries.count() == 2
    assert {e.data.get("attachment") for e in entries} >= {attachment.pk}
    assert str(archived) == archived.reference
    for entry in ModelLogEntry.objects.all():
        text = f"{entry.label} {entry.data}"
        assert SUBJECT not in text and "Rosenweg" not in text and FILE_NAME not in text


def test_erasure_deletes_attachments_and_the_citizen_copy_but_keeps_the_archive(with_files, worker_a):
    conversation, _, attachment, archived, copy = with_files
    names = [attachment.storage_name, copy.storage_name]
    counts = retention.delete_conversation(conversation, user=worker_a, action=audit.ERASE)
    assert counts["attachments"] == 1 and counts["citizen_transcripts"] == 1 and counts["archived_transcripts"] == 0
    assert not Attachment.objects.exists()
    assert list(Transcript.objects.values_list("pk", flat=True)) == [archived.pk]
    assert Transcript.objects.get().conversation_id is None
    # The files go after the commit (pytest-django's test transaction never commits).


@pytest.mark.django_db(transaction=True)
def test_deleted_rows_take_their_files_along(dept_a, worker_a):
    conversation, _ = services.start_conversation(department=dept_a, text=SUBJECT)
    attachment_domain.store_attachment(
        conversation=conversation, sender=SenderType.CITIZEN, uploaded=upload(FILE_NAME, pdf_bytes(FILE_TEXT)), client_id=uuid.uuid4()
    )
    attachment = Attachment.objects.get()
    archived = transcripts.store_transcript(conversation, TranscriptKind.ARCHIVE, user=worker_a)
    copy = transcripts.store_transcript(conversation, TranscriptKind.CITIZEN)
    retention.delete_conversation(conversation, user=worker_a, action=audit.ERASE)
    storage = private_storage()
    assert not storage.exists(attachment.storage_name) and not storage.exists(copy.storage_name)
    assert storage.exists(archived.storage_name)


def test_purge_deletes_archived_pdfs_only_when_configured(with_files):
    conversation, _, _, archived, _ = with_files
    dry = retention.delete_conversation(conversation, action=audit.PURGE, dry_run=True, purge=True)
    assert dry["archived_transcripts"] == 0
    with override_settings(BUERGERCHAT={**settings.BUERGERCHAT, "PURGE_ARCHIVED_PDFS": True}):
        counts = retention.delete_conversation(conversation, action=audit.PURGE, purge=True)
    assert counts["archived_transcripts"] == 1 and counts["citizen_transcripts"] == 1
    assert not Transcript.objects.exists()


def test_archive_predicate_releases_conversations_that_must_be_archived(dept_a, worker_a):
    from datetime import timedelta

    from django.utils import timezone

    dept_a.archive_before_purge = True
    dept_a.save()
    conversation, _ = services.start_conversation(department=dept_a, text=SUBJECT)
    workflow.set_status(conversation, worker_a, ConversationStatus.CLOSED)
    Conversation.objects.filter(pk=conversation.pk).update(closed_at=timezone.now() - timedelta(days=400))
    assert not files_cleanup.is_archived(conversation)
    result = retention.purge_expired()
    assert result.blocked == 1 and Conversation.objects.filter(pk=conversation.pk).exists()
    transcripts.store_transcript(conversation, TranscriptKind.CITIZEN)  # the citizen's copy is no archive
    assert not files_cleanup.is_archived(conversation)
    transcripts.store_transcript(conversation, TranscriptKind.ARCHIVE, user=worker_a)
    assert files_cleanup.is_archived(conversation)
    result = retention.purge_expired()
    assert result.conversations == 1 and not Conversation.objects.filter(pk=conversation.pk).exists()


def test_export_lists_attachments_and_transcripts(with_files, worker_a):
    conversation, secret, attachment, archived, _ = with_files
    citizen = Client().get(f"{API}/export", **{SECRET: secret}).json()
    assert [a["name"] for a in citizen["attachments"]] == [FILE_NAME]
    assert citizen["attachments"][0]["sha256"] == attachment.sha256
    assert citizen["attachments"][0]["url"].endswith(f"{API}/attachments/{attachment.pk}")
    assert citizen["documents"] == [
        {"type": "transcript", "format": "pdf", "url": "http://testserver" + API + "/transcript"}
    ]
    staff = rights.export_document(conversation, payloads.STAFF)
    assert staff["attachments"][0]["url"] == f"/admin/buergerchat/attachments/{attachment.pk}/"
    assert [d["url"] for d in staff["documents"]] == [f"/admin/buergerchat-archive/{archived.pk}/download/"]


def test_key_rotation_reencrypts_files(with_files):
    _, _, attachment, archived, copy = with_files
    names = [attachment.storage_name, archived.storage_name, copy.storage_name]
    before = {name: plain_bytes(name) for name in names}
    with override_settings(BUERGERCHAT={**settings.BUERGERCHAT, "ENCRYPTION_KEYS": [KEY_1]}):
        call_command("buergerchat_rotate_keys")
        for name in names:
            assert Fernet(KEY_1).decrypt(raw_bytes(name)) == before[name]
            assert plain_bytes(name) == before[name]


def test_uploads_are_rate_limited_for_citizens_and_staff(dept_a, worker_a):
    conversation, secret = services.start_conversation(department=dept_a, text=SUBJECT)
    with override_settings(BUERGERCHAT={**settings.BUERGERCHAT, "UPLOADS_PER_HOUR": 1}):
        def citizen_upload():
            data = {"file": upload("plan.pdf", pdf_bytes("Plan")), "client_id": str(uuid.uuid4())}
            return Client().post(f"{API}/attachments", data, **{SECRET: secret})

        assert citizen_upload().status_code == 201
        refused = citizen_upload()
        assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
        assert int(refused["Retry-After"]) >= 1
        staff = Client()
        staff.force_login(worker_a)

        def staff_upload():
            data = {"file": upload("antwort.pdf", pdf_bytes("Antwort")), "client_id": str(uuid.uuid4())}
            return staff.post(
                f"/admin/buergerchat/conversations/{conversation.pk}/attachments/", data, HTTP_ACCEPT="application/json"
            )

        assert staff_upload().status_code == 201  # each side has its own budget
        refused = staff_upload()
        assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    assert Attachment.objects.count() == 2


def test_archive_search_finds_encrypted_subjects(with_files, worker_a):
    conversation, _, _, archived, _ = with_files
    client = Client()
    client.force_login(worker_a)
    found = client.get("/admin/buergerchat-archive/", {"q": "bauvoranfrage"}).content.decode()
    assert conversation.reference in found
    missing = client.get("/admin/buergerchat-archive/", {"q": "Nichtvorhanden"}).content.decode()
    assert conversation.reference not in missing
    assert conversation.reference in client.get("/admin/buergerchat-archive/", {"q": conversation.reference}).content.decode()
