"""Where the workplace (issue 5) meets attachments and archive (issue 4) and
consultations (issue 3): one close function that archives, transcripts and
published answers without internal notes, inbox events that still say `started`."""

import uuid

import pytest

from buergerchat_wagtail.casework import workflow
from buergerchat_wagtail.conversations import services
from buergerchat_wagtail.files import transcripts
from buergerchat_wagtail.models import ConversationStatus, SenderType, Transcript

pytestmark = pytest.mark.django_db


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


def test_closing_through_the_workflow_archives_when_the_department_asks(
    dept_a, worker_a, start_conversation, django_capture_on_commit_callbacks
):
    dept_a.archive_on_close = True
    dept_a.save()
    conversation, _ = start_conversation(dept_a)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.set_status(conversation, worker_a, ConversationStatus.WAITING)
    assert not Transcript.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.set_status(conversation, worker_a, ConversationStatus.CLOSED)
    assert Transcript.objects.archived().filter(conversation=conversation).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        workflow.set_status(conversation, worker_a, ConversationStatus.CLOSED)  # already closed: nothing
    assert Transcript.objects.archived().count() == 1


def test_inbox_event_of_a_new_conversation_is_started(dept_a, start_conversation, monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr(services, "group_send", lambda group, event: sent.append(event))
    with django_capture_on_commit_callbacks(execute=True):
        conversation, _ = start_conversation(dept_a)
    inbox = [e for e in sent if e["type"] == "bc.conversation"]
    assert inbox and inbox[-1]["started"] is True
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.post_message(conversation=conversation, sender=SenderType.CITIZEN, body="Noch etwas", client_id=uuid.uuid4())
    inbox = [e for e in sent if e["type"] == "bc.conversation"]
    assert inbox and inbox[-1]["started"] is False


def test_resend_is_broadcast_again_without_reaching_citizens_when_internal(dept_a, worker_a, start_conversation, monkeypatch):
    conversation, _ = start_conversation(dept_a)
    client_id = uuid.uuid4()
    services.post_message(
        conversation=conversation, sender=SenderType.STAFF, body="Notiz", client_id=client_id, author=worker_a, internal=True
    )
    sent = []
    monkeypatch.setattr(services, "group_send", lambda group, event: sent.append((group, event)))
    message, created = services.post_message(
        conversation=conversation, sender=SenderType.STAFF, body="Notiz", client_id=client_id, author=worker_a, internal=True
    )
    assert not created and message.internal
    groups = [group for group, event in sent if event["type"] == "bc.message"]
    assert groups and all("citizen" not in group for group in groups)
