"""The message path's statements compiled once per connection (conversations/statements.py):
the same rows and instances as the ORM, the model signals, idempotency by the unique
constraint, three statements per message; and on PostgreSQL, with real concurrency
(tests/conversations/statements_race.py in a process of its own)."""

import json
import subprocess
import sys
import uuid

import pytest
from django.db import connection, transaction
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from buergerchat_wagtail.conversations import services, statements
from buergerchat_wagtail.models import Conversation, ConversationStatus, Message, SenderType

pytestmark = pytest.mark.django_db


def field_values(instance):
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


def test_lock_reads_what_the_orm_reads_department_included(dept_a, start_conversation):
    conversation, _ = start_conversation(dept_a, text="Eine Frage mit Umlauten: äöü", name="Erika Muster", email="e@example.org")
    with transaction.atomic():
        compiled = statements.LOCK_CONVERSATION.fetch(conversation.pk)
        orm = Conversation.objects.lock(conversation.pk)
    assert field_values(compiled) == field_values(orm)
    assert compiled.subject == "Eine Frage mit Umlauten: äöü"  # decrypted like the ORM does
    assert compiled.citizen_name == "Erika Muster"
    # The department came with the row (no further query).
    with CaptureQueriesContext(connection) as queries:
        assert field_values(compiled.department) == field_values(orm.department)
    assert len(queries) == 0
    with transaction.atomic():
        assert statements.LOCK_CONVERSATION.fetch(conversation.pk + 1000) is None


def test_insert_unless_stored_is_idempotent_and_sends_the_signals(dept_a, worker_a, start_conversation):
    conversation, _ = start_conversation(dept_a)
    client_id = uuid.uuid4()
    seen = []

    def receiver(sender, instance, created, **kwargs):
        seen.append((instance.pk, created))

    post_save.connect(receiver, sender=Message)
    try:
        with transaction.atomic():
            first = Message(conversation=conversation, sender=SenderType.STAFF, author=worker_a, body="Antwort",
                            client_id=client_id, created_at=timezone.now())
            assert statements.insert_unless_stored(first) is True
            again = Message(conversation=conversation, sender=SenderType.STAFF, author=worker_a, body="Antwort",
                            client_id=client_id, created_at=timezone.now())
            assert statements.insert_unless_stored(again) is False
    finally:
        post_save.disconnect(receiver, sender=Message)
    assert again.pk is None
    stored = Message.objects.get(conversation=conversation, client_id=client_id)
    assert stored.pk == first.pk and stored.body == "Antwort" and stored.author_id == worker_a.pk
    assert seen == [(first.pk, True)]


def test_update_fields_writes_only_those_fields(dept_a, start_conversation):
    conversation, _ = start_conversation(dept_a)
    later = timezone.now()
    with transaction.atomic():
        locked = statements.LOCK_CONVERSATION.fetch(conversation.pk)
        locked.status = ConversationStatus.WAITING
        locked.waiting_since = later
        locked.subject = "nicht gespeichert"
        statements.update_fields(locked, ["status", "waiting_since"])
    fresh = Conversation.objects.get(pk=conversation.pk)
    assert fresh.status == ConversationStatus.WAITING
    assert fresh.waiting_since == later
    assert fresh.subject == conversation.subject


def test_a_message_is_three_statements_and_a_resend_stores_nothing(dept_a, start_conversation):
    conversation, _ = start_conversation(dept_a)
    client_id = uuid.uuid4()
    services.post_message(conversation=conversation.pk, sender=SenderType.CITIZEN, body="Aufwärmen", client_id=uuid.uuid4())
    with CaptureQueriesContext(connection) as queries:
        message, created = services.post_message(
            conversation=conversation.pk, sender=SenderType.CITIZEN, body="Noch eine Frage", client_id=client_id
        )
    statements_run = [q["sql"] for q in queries if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT"))]
    assert created and len(statements_run) == 3, statements_run  # lock, insert, update
    assert message.conversation.department.name == "Bauverwaltung"
    again, created = services.post_message(
        conversation=conversation, sender=SenderType.CITIZEN, body="Noch eine Frage", client_id=client_id
    )
    assert not created and again.pk == message.pk
    assert Message.objects.filter(conversation=conversation, client_id=client_id).count() == 1


def test_a_refused_message_leaves_nothing_behind(dept_a, start_conversation):
    from buergerchat_wagtail.protocol.frames import ProtocolError

    conversation, _ = start_conversation(dept_a)
    Conversation.objects.filter(pk=conversation.pk).update(
        status=ConversationStatus.CLOSED, closed_at=timezone.now() - timezone.timedelta(days=400)
    )
    before = Message.objects.filter(conversation=conversation).count()
    with pytest.raises(ProtocolError) as refused:
        services.post_message(conversation=conversation, sender=SenderType.CITIZEN, body="Zu spät", client_id=uuid.uuid4())
    assert refused.value.code == "conversation_closed"
    assert Message.objects.filter(conversation=conversation).count() == before


def test_on_postgresql_concurrent_sends_keep_order_and_store_a_resend_once():
    from tests.live_servers import ROOT, DemoSite, PostgresDatabase, postgres_available

    if not postgres_available():
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432 (user postgres)")
    database = PostgresDatabase()
    # Rate limits off: 200 messages in a second into one conversation.
    site = DemoSite(database_url=database.url, extra_env={"BUERGERCHAT_JSON": '{"MESSAGES_PER_MINUTE": 0}'})
    try:
        site.manage("migrate", "--noinput", "-v0")
        result = subprocess.run(
            [sys.executable, "-m", "tests.conversations.statements_race"],
            cwd=ROOT, env=site.env, capture_output=True, text=True, timeout=300,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        outcome = json.loads(result.stdout.strip().splitlines()[-1])
    finally:
        site.cleanup()
        database.drop()
    assert outcome["vendor"] == "postgresql"
    assert outcome["same_as_orm"]
    assert outcome["resend"] == {"created": 1, "duplicates": 7, "rows": 1}
    # Every message stored once, and ids committed in the order of the row lock: a reader
    # that saw id N never gets an id below N later.
    assert outcome["stored"] == outcome["sent"] == 200
    assert outcome["late_lower_ids"] == 0
