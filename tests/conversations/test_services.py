"""The conversation services: inbox events of new and continued conversations, and
resends that are broadcast again without reaching citizens when internal."""

import uuid

import pytest

from buergerchat_wagtail.conversations import services
from buergerchat_wagtail.models import SenderType

pytestmark = pytest.mark.django_db


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
