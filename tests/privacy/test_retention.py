"""Retention: closing, the purge (command, task, automatic schedule), records duty."""

import datetime
import io
import logging
import re
import uuid

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone
from wagtail.models import ModelLogEntry

from buergerchat_wagtail.casework import workflow
from buergerchat_wagtail.commands import citizen as commands
from buergerchat_wagtail.conversations import audit, services
from buergerchat_wagtail.files import cleanup as files_cleanup
from buergerchat_wagtail.models import Conversation, ConversationStatus, Message, SenderType
from buergerchat_wagtail.privacy import retention
from buergerchat_wagtail.tasks import purge_expired_conversations

pytestmark = pytest.mark.django_db

SECRET_TEXT = "Vertrauliche Angabe zum Grundstück"


def closed(conversation, days_ago):
    Conversation.objects.filter(pk=conversation.pk).update(
        status=ConversationStatus.CLOSED, closed_at=timezone.now() - datetime.timedelta(days=days_ago)
    )
    return Conversation.objects.get(pk=conversation.pk)


@pytest.fixture
def setup(dept_a, dept_b, start_conversation):
    dept_b.retention_days = 10
    dept_b.save()
    old_a, _ = start_conversation(dept_a, text=SECRET_TEXT, name="Erika")  # 91 days: expired (90)
    young_a, _ = start_conversation(dept_a, text="Jung")  # 30 days: kept
    open_a, _ = start_conversation(dept_a, text="Offen")  # never closed: kept
    old_b, _ = start_conversation(dept_b, text="Bürgerbüro alt")  # 11 days: expired (10)
    return {
        "old_a": closed(old_a, 91),
        "young_a": closed(young_a, 30),
        "open_a": open_a,
        "old_b": closed(old_b, 11),
    }


def remaining():
    return set(Conversation.objects.values_list("subject", flat=True))


def test_dry_run_counts_and_deletes_nothing(setup, caplog):
    caplog.set_level(logging.DEBUG)
    result = retention.purge_expired(dry_run=True)
    assert result.as_dict() == {"dry_run": True, "conversations": 2, "blocked": 0, "counts": {"messages": 2, "attachments": 0, "citizen_transcripts": 0, "archived_transcripts": 0}}
    assert Conversation.objects.count() == 4
    assert not ModelLogEntry.objects.filter(action=audit.PURGE).exists()
    assert "would be deleted" in caplog.text


def test_purge_deletes_expired_per_department(setup, caplog):
    caplog.set_level(logging.DEBUG)
    old_ids = [setup["old_a"].pk, setup["old_b"].pk]
    result = retention.purge_expired()
    files = {"attachments": 0, "citizen_transcripts": 0, "archived_transcripts": 0}
    assert result.conversations == 2 and result.counts == {"messages": 2, **files}
    assert remaining() == {"Jung", "Offen"}
    assert not Message.objects.filter(conversation_id__in=old_ids).exists()
    entries = ModelLogEntry.objects.filter(action=audit.PURGE).order_by("object_id")
    assert [e.object_id for e in entries] == [str(pk) for pk in old_ids]
    assert all(e.deleted and e.user is None and e.data == {"messages": 1, **files} for e in entries)
    # Counts are logged, contents never.
    assert "purge: 2 conversation(s) deleted, 0 blocked" in caplog.text
    for text in (SECRET_TEXT, "Erika", "Bürgerbüro alt"):
        assert text not in caplog.text
        assert not ModelLogEntry.objects.filter(label__contains=text).exists()


def test_records_duty_blocks_purge_until_archived(setup, dept_a, monkeypatch):
    dept_a.archive_before_purge = True
    dept_a.save()
    result = retention.purge_expired()
    assert (result.conversations, result.blocked, result.blocked_ids) == (1, 1, [setup["old_a"].pk])
    assert SECRET_TEXT in remaining()

    monkeypatch.setattr(files_cleanup, "is_archived", lambda conversation: conversation.pk == setup["old_a"].pk)
    result = retention.purge_expired()
    assert (result.conversations, result.blocked) == (1, 0)
    assert SECRET_TEXT not in remaining()


def test_file_cleanups_run_before_deletion(setup, monkeypatch):
    seen = []

    def delete_citizen_transcripts(conversation, *, dry_run):
        assert Conversation.objects.filter(pk=conversation.pk).exists()  # still there
        seen.append((conversation.pk, dry_run))
        return 3

    monkeypatch.setattr(files_cleanup, "delete_citizen_transcripts", delete_citizen_transcripts)
    retention.purge_expired(dry_run=True)
    result = retention.purge_expired()
    old = sorted([setup["old_a"].pk, setup["old_b"].pk])
    assert seen == [(old[0], True), (old[1], True), (old[0], False), (old[1], False)]
    assert result.counts == {"messages": 2, "attachments": 0, "citizen_transcripts": 6, "archived_transcripts": 0}


def test_a_failing_cleanup_deletes_nothing(setup, monkeypatch):
    def broken(conversation, *, dry_run, purge):
        raise OSError("storage unavailable")

    monkeypatch.setattr(files_cleanup, "delete_archived_transcripts", broken)
    with pytest.raises(OSError):
        retention.purge_expired()
    assert Conversation.objects.count() == 4
    assert not ModelLogEntry.objects.filter(action=audit.PURGE).exists()


def test_command(setup, dept_a):
    dept_a.archive_before_purge = True
    dept_a.save()
    out = io.StringIO()
    call_command("buergerchat_purge", "--dry-run", stdout=out)
    assert "1 conversation(s) would be deleted." in out.getvalue()
    assert f"1 conversation(s) kept" in out.getvalue() and str(setup["old_a"].pk) in out.getvalue()
    assert Conversation.objects.count() == 4
    out = io.StringIO()
    call_command("buergerchat_purge", stdout=out)
    assert "1 conversation(s) deleted." in out.getvalue()
    assert "messages: 1" in out.getvalue()
    assert Conversation.objects.count() == 3


def test_task_returns_counts(setup):
    result = purge_expired_conversations.enqueue()
    assert result.return_value == {"dry_run": False, "conversations": 2, "blocked": 0, "counts": {"messages": 2, "attachments": 0, "citizen_transcripts": 0, "archived_transcripts": 0}}


def test_purge_is_scheduled_automatically_once_per_interval(setup, dept_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        commands.start(department=dept_a, text="Neu")
    assert remaining() == {"Jung", "Offen", "Neu"}
    # Within the interval nothing is enqueued again.
    expired, _ = commands.start(department=dept_a, text="Gleich abgelaufen")
    closed(expired, 100)
    with django_capture_on_commit_callbacks(execute=True):
        commands.start(department=dept_a, text="Noch neuer")
    assert "Gleich abgelaufen" in remaining()


@override_settings(BUERGERCHAT={"PURGE_INTERVAL_HOURS": 0})
def test_automatic_purge_can_be_switched_off(setup, dept_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        commands.start(department=dept_a, text="Neu")
    assert SECRET_TEXT in remaining()


# --------------------------------------------------------------------------- closing


def close_url(conversation):
    return f"/admin/buergerchat/conversations/{conversation.pk}/close/"


def test_staff_close_starts_the_retention_period(dept_a, worker_a, worker_b, start_conversation):
    conversation, _ = start_conversation(dept_a)
    other = Client()
    other.force_login(worker_b)
    assert other.post(close_url(conversation)).status_code == 403
    client = Client()
    client.force_login(worker_a)
    assert client.get(close_url(conversation)).status_code == 405
    response = client.post(close_url(conversation))
    assert response.status_code == 302
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.CLOSED
    assert timezone.now() - conversation.closed_at < datetime.timedelta(seconds=10)
    entry = ModelLogEntry.objects.get(action=audit.CLOSE)
    assert (entry.user, entry.object_id, entry.label) == (worker_a, str(conversation.pk), conversation.reference)
    page = client.get(f"/admin/buergerchat/conversations/{conversation.pk}/").content.decode()
    assert "wird 90 Tage nach dem Schließen gelöscht" in page
    # already closed: the one close control (the workflow's status form) is hidden
    close_form = re.search(r"<form[^>]*data-bc-close-form[^>]*>", page)
    assert close_form is not None and " hidden" in close_form.group(0)
    # Closing again changes nothing and logs nothing.
    client.post(close_url(conversation))
    assert ModelLogEntry.objects.filter(action=audit.CLOSE).count() == 1


def test_citizen_message_reopens_and_resets_the_retention_clock(dept_a, worker_a, start_conversation):
    conversation, _ = start_conversation(dept_a)
    workflow.set_status(conversation, worker_a, ConversationStatus.CLOSED)
    services.post_message(conversation=conversation, sender=SenderType.CITIZEN, body="Noch eine Frage", client_id=uuid.uuid4())
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.OPEN and conversation.closed_at is None
    assert retention.purge_expired(now=timezone.now() + datetime.timedelta(days=1000)).conversations == 0


def test_department_retention_is_validated(dept_a):
    from django.core.exceptions import ValidationError

    dept_a.retention_days = 0
    with pytest.raises(ValidationError):
        dept_a.full_clean()
