"""Encryption at rest: the raw database holds no plaintext, keys rotate, files too."""

import uuid

import pytest
from cryptography.fernet import Fernet
from django.core import checks
from django.core.exceptions import FieldError
from django.core.files.base import ContentFile
from django.core.files.storage import InMemoryStorage
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client, override_settings

from buergerchat_wagtail import crypto
from buergerchat_wagtail.conversations import services
from buergerchat_wagtail.models import Conversation, Message, SenderType
from buergerchat_wagtail.privacy import key_rotation

pytestmark = pytest.mark.django_db

SUBJECT = "Geheimes Bauvorhaben Lindenstraße"
NAME = "Erika Vertraulich-Mustermann"
EMAIL = "erika.vertraulich@example.org"
BODY = "Mein Flurstück 4711 hat Altlasten"
REPLY = "Antwort der Sachbearbeiterin Zeichen 0815"
PLAINTEXTS = [SUBJECT, "Lindenstraße", NAME, "Vertraulich", EMAIL, "vertraulich@example", BODY, "Flurstück", REPLY, "Zeichen 0815"]  # no short fragments: hex hashes could contain them

KEY_1 = Fernet.generate_key().decode()
KEY_2 = Fernet.generate_key().decode()


def all_text_in_database():
    """Every value of every column of every table, as text (the raw database)."""
    values = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                values.extend(
                    v.decode("utf-8", "replace") if isinstance(v, (bytes, memoryview)) else str(v)
                    for v in row
                    if v is not None
                )
    return "\n".join(values)


def raw_row(table, column, pk):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@pytest.fixture
def full_conversation(dept_a, worker_a):
    conversation, secret = services.start_conversation(
        department=dept_a, text=SUBJECT + "\n" + BODY, name=NAME, email=EMAIL
    )
    services.post_message(conversation=conversation, sender=SenderType.CITIZEN, body=BODY, client_id=uuid.uuid4())
    services.post_message(
        conversation=conversation, sender=SenderType.STAFF, body=REPLY, client_id=uuid.uuid4(), author=worker_a
    )
    return conversation, secret


def test_raw_database_holds_no_plaintext(full_conversation, worker_a, django_capture_on_commit_callbacks):
    from buergerchat_wagtail.files import attachments, transcripts
    from buergerchat_wagtail.files.storage import raw_private_storage
    from buergerchat_wagtail.models import Attachment, Transcript, TranscriptKind
    from tests.files import pdf_bytes, upload

    conversation, secret = full_conversation
    # A file whose name and content carry the secrets, and both kinds of PDF transcript.
    file_text = BODY.replace("ü", "ue")
    marker = b"created by Pillow PDF driver"
    assert marker in pdf_bytes(file_text)  # the plain file is readable without a key
    with django_capture_on_commit_callbacks(execute=True):
        attachments.store_attachment(
            conversation=conversation,
            sender=SenderType.CITIZEN,
            uploaded=upload("Altlasten-Vertraulich-Mustermann.pdf", pdf_bytes(file_text)),
            client_id=uuid.uuid4(),
        )
    transcripts.store_transcript(conversation, TranscriptKind.ARCHIVE, user=worker_a)
    transcripts.store_transcript(conversation, TranscriptKind.CITIZEN)
    # Staff open and export it (audit log entries), the citizen downloads it.
    client = Client()
    client.force_login(worker_a)
    assert client.get(f"/admin/buergerchat/conversations/{conversation.pk}/").status_code == 200
    assert client.get(f"/admin/buergerchat/conversations/{conversation.pk}/export/").status_code == 200
    assert Client().get("/buergerchat/api/v1/export", HTTP_X_BUERGERCHAT_SECRET=secret).status_code == 200

    dump = all_text_in_database()
    assert conversation.reference in dump  # the dump is real
    for plain in PLAINTEXTS + [secret]:
        assert plain not in dump, f"plaintext {plain!r} found in the raw database"
    # The columns hold Fernet tokens.
    assert crypto.is_token(raw_row("buergerchat_conversation", "subject", conversation.pk))
    assert crypto.is_token(raw_row("buergerchat_conversation", "citizen_name", conversation.pk))
    assert crypto.is_token(raw_row("buergerchat_conversation", "citizen_email", conversation.pk))
    for message in conversation.messages.exclude(body=""):  # a file-only message has no text
        assert crypto.is_token(raw_row("buergerchat_message", "body", message.pk))
    assert "Altlasten-Vertraulich" not in dump
    for attachment in Attachment.objects.all():
        assert crypto.is_token(raw_row("buergerchat_attachment", "name", attachment.pk))
    for transcript in Transcript.objects.all():
        assert crypto.is_token(raw_row("buergerchat_transcript", "subject", transcript.pk))
    # The private storage holds Fernet tokens only: no file content, no PDF in clear.
    names = [a.storage_name for a in Attachment.objects.all()] + [t.storage_name for t in Transcript.objects.all()]
    assert len(names) == 3
    for name in names:
        with raw_private_storage().open(name, "rb") as f:
            stored = f.read()
        assert stored.startswith(crypto.TOKEN_PREFIX.encode()) and b"%PDF" not in stored and marker not in stored
        for plain in PLAINTEXTS + [file_text, "Altlasten"]:
            assert plain.encode() not in stored, f"plaintext {plain!r} found in a stored file"


def test_values_decrypt_on_load(full_conversation):
    conversation, _ = full_conversation
    loaded = Conversation.objects.get(pk=conversation.pk)
    assert (loaded.subject, loaded.citizen_name, loaded.citizen_email) == (SUBJECT, NAME, EMAIL)
    assert list(loaded.messages.values_list("body", flat=True)) == [SUBJECT + "\n" + BODY, BODY, REPLY]


def test_empty_values_stay_empty_and_are_queryable(dept_a):
    conversation, _ = services.start_conversation(department=dept_a, text="Ohne Namen")
    assert raw_row("buergerchat_conversation", "citizen_name", conversation.pk) == ""
    assert Conversation.objects.filter(citizen_name="").count() == 1


def test_database_lookups_on_encrypted_fields_are_refused(full_conversation):
    for lookup in ("subject__icontains", "citizen_email", "citizen_name__startswith"):
        with pytest.raises(FieldError):
            list(Conversation.objects.filter(**{lookup: "Erika"}))
    with pytest.raises(FieldError):
        list(Message.objects.filter(body__contains="Flurstück"))


def test_inbox_search_finds_subjects_after_decryption(full_conversation, worker_a, worker_b):
    conversation, _ = full_conversation
    client = Client()
    client.force_login(worker_a)
    content = client.get("/admin/buergerchat/", {"q": "lindenstraße"}).content.decode()
    assert f"/admin/buergerchat/conversations/{conversation.pk}/" in content
    content = client.get("/admin/buergerchat/", {"q": conversation.reference[3:7]}).content.decode()
    assert f"/admin/buergerchat/conversations/{conversation.pk}/" in content
    content = client.get("/admin/buergerchat/", {"q": "Nichtvorhanden"}).content.decode()
    assert f"/admin/buergerchat/conversations/{conversation.pk}/" not in content
    other = Client()
    other.force_login(worker_b)
    content = other.get("/admin/buergerchat/", {"q": "Lindenstraße"}).content.decode()
    assert f"/admin/buergerchat/conversations/{conversation.pk}/" not in content


def test_rotate_keys_reencrypts_everything(dept_a, worker_a, capsys):
    with override_settings(BUERGERCHAT={"ENCRYPTION_KEYS": [KEY_1]}):
        conversation, _ = services.start_conversation(department=dept_a, text=BODY, name=NAME, email=EMAIL)
        before = raw_row("buergerchat_conversation", "citizen_name", conversation.pk)
        assert Fernet(KEY_1).decrypt(before.encode()).decode() == NAME

    with override_settings(BUERGERCHAT={"ENCRYPTION_KEYS": [KEY_2, KEY_1]}):
        call_command("buergerchat_rotate_keys", "--dry-run")
        assert raw_row("buergerchat_conversation", "citizen_name", conversation.pk) == before
        call_command("buergerchat_rotate_keys", "--batch-size", "1")
        assert "buergerchat.Conversation: 3 value(s) re-encrypted" in capsys.readouterr().out

    with override_settings(BUERGERCHAT={"ENCRYPTION_KEYS": [KEY_2]}):
        after = raw_row("buergerchat_conversation", "citizen_name", conversation.pk)
        assert after != before
        assert Fernet(KEY_2).decrypt(after.encode()).decode() == NAME
        loaded = Conversation.objects.get(pk=conversation.pk)
        assert (loaded.citizen_name, loaded.citizen_email) == (NAME, EMAIL)
        assert loaded.messages.get().body == BODY


def test_data_from_the_derived_key_moves_to_configured_keys(dept_a):
    conversation, _ = services.start_conversation(department=dept_a, text=BODY, name=NAME)
    with override_settings(BUERGERCHAT={"ENCRYPTION_KEYS": [KEY_1]}):
        call_command("buergerchat_rotate_keys")
        token = raw_row("buergerchat_conversation", "citizen_name", conversation.pk)
        assert Fernet(KEY_1).decrypt(token.encode()).decode() == NAME


def test_rotation_without_the_old_key_fails_clearly_and_changes_nothing(dept_a):
    with override_settings(BUERGERCHAT={"ENCRYPTION_KEYS": [KEY_1]}):
        conversation, _ = services.start_conversation(department=dept_a, text=BODY, name=NAME)
        before = raw_row("buergerchat_conversation", "citizen_name", conversation.pk)
    with override_settings(BUERGERCHAT={"ENCRYPTION_KEYS": [KEY_2]}):
        with pytest.raises(CommandError, match="cannot be decrypted"):
            call_command("buergerchat_rotate_keys")
    assert raw_row("buergerchat_conversation", "citizen_name", conversation.pk) == before


def test_rotation_includes_the_private_files(dept_a, monkeypatch):
    calls = []

    def rotate_files(*, dry_run):
        calls.append(dry_run)
        return 2

    monkeypatch.setattr(key_rotation, "rotate_private_files", rotate_files)
    call_command("buergerchat_rotate_keys", "--dry-run")
    call_command("buergerchat_rotate_keys")
    assert calls == [True, False]


class EncryptedMemoryStorage(crypto.EncryptedStorageMixin, InMemoryStorage):
    pass


def test_encrypted_storage_for_files():
    storage = EncryptedMemoryStorage()
    content = b"%PDF-1.7 Bauplan Flurstueck 4711"
    name = storage.save("private/plan.pdf", ContentFile(content))
    with InMemoryStorage._open(storage, name, "rb") as raw:  # the stored bytes, undecrypted
        stored = raw.read()
    assert b"Flurstueck" not in stored and stored.startswith(b"gAAAAA")
    with storage.open(name) as f:
        assert f.read() == content
    assert storage.plain_size(name) == len(content)
    with override_settings(BUERGERCHAT={"ENCRYPTION_KEYS": [KEY_1]}):
        storage.rotate_file(name)
        with InMemoryStorage._open(storage, name, "rb") as raw:
            assert Fernet(KEY_1).decrypt(raw.read()) == content
        with storage.open(name) as f:
            assert f.read() == content
    with pytest.raises(ValueError):
        storage.open(name, "wb")


def test_existing_plaintext_rows_are_encrypted_by_the_migration(full_conversation):
    import importlib

    migration = importlib.import_module("buergerchat_wagtail.migrations.0005_issue6_data_protection")
    conversation, _ = full_conversation
    with connection.cursor() as cursor:
        cursor.execute("UPDATE buergerchat_conversation SET citizen_name = %s WHERE id = %s", [NAME, conversation.pk])

    class SchemaEditor:
        pass

    editor = SchemaEditor()
    editor.connection = connection
    migration.encrypt_existing_rows(None, editor)
    assert crypto.is_token(raw_row("buergerchat_conversation", "citizen_name", conversation.pk))
    assert Conversation.objects.get(pk=conversation.pk).citizen_name == NAME


def test_system_checks_for_keys():
    from buergerchat_wagtail.checks import check_encryption_keys

    with override_settings(DEBUG=False, BUERGERCHAT={}):
        assert [e.id for e in check_encryption_keys(None)] == ["buergerchat.W010"]
    with override_settings(DEBUG=False, BUERGERCHAT={"ENCRYPTION_KEYS": [KEY_1]}):
        assert check_encryption_keys(None) == []
    with override_settings(BUERGERCHAT={"ENCRYPTION_KEYS": ["not-a-key"]}):
        errors = check_encryption_keys(None)
        assert [e.id for e in errors] == ["buergerchat.E010"]
        assert isinstance(errors[0], checks.Error)
    crypto.reset()
