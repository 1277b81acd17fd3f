"""Tagging is a domain command: the socket and the admin share it, it checks the
right on the locked row, accepts only the conversation's department's tags, is
audited with ids only and tells the department's inbox. Assignments and status
changes are audited too."""

import pytest
from asgiref.sync import sync_to_async
from django.core.exceptions import ValidationError
from wagtail.models import ModelLogEntry

from buergerchat_wagtail.casework import workflow
from buergerchat_wagtail.conversations import audit
from buergerchat_wagtail.models import ConversationTag
from buergerchat_wagtail.protocol.frames import ProtocolError
from tests.conftest import receive_type, staff_socket

SOCKET = pytest.mark.django_db(transaction=True)


def audit_rows(conversation, action):
    return list(
        ModelLogEntry.objects.filter(object_id=str(conversation.pk), action=action).order_by("pk").values_list("data", flat=True)
    )


@pytest.fixture
def tags(dept_a, dept_b):
    return {
        "bau": ConversationTag.objects.create(department=dept_a, name="Bauantrag", colour="blue"),
        "rueckruf": ConversationTag.objects.create(department=dept_a, name="Rückruf nötig"),
        "melde": ConversationTag.objects.create(department=dept_b, name="Meldewesen"),
    }


@pytest.mark.django_db
def test_tags_are_added_and_removed_and_audited_with_ids_only(worker_a, dept_a, tags, start_conversation):
    conversation, _ = start_conversation(dept_a)
    before = conversation.last_activity_at
    workflow.change_tags(conversation, worker_a, add=[tags["bau"].pk, tags["rueckruf"].pk])
    assert set(conversation.tags.values_list("name", flat=True)) == {"Bauantrag", "Rückruf nötig"}
    workflow.change_tags(conversation, worker_a, remove=[tags["rueckruf"].pk])
    assert list(conversation.tags.values_list("name", flat=True)) == ["Bauantrag"]
    # Nothing changes: nothing recorded.
    workflow.change_tags(conversation, worker_a, add=[tags["bau"].pk])
    rows = audit_rows(conversation, audit.TAG)
    assert rows == [
        {"added": sorted([tags["bau"].pk, tags["rueckruf"].pk]), "removed": []},
        {"added": [], "removed": [tags["rueckruf"].pk]},
    ]
    assert "Bauantrag" not in str(rows)
    conversation.refresh_from_db()
    assert conversation.last_activity_at == before  # bookkeeping, not activity
    assert not conversation.messages.filter(sender="system").exists()  # the citizen never hears of tags


@pytest.mark.django_db
def test_a_tag_of_another_department_is_refused_and_nothing_changes(worker_a, dept_a, tags, start_conversation):
    conversation, _ = start_conversation(dept_a)
    with pytest.raises(ProtocolError) as refused:
        workflow.change_tags(conversation, worker_a, add=[tags["bau"].pk, tags["melde"].pk])
    assert refused.value.code == "invalid_tag"
    assert not conversation.tags.exists()
    assert not audit_rows(conversation, audit.TAG)


@pytest.mark.django_db
def test_staff_of_another_department_may_not_tag(worker_b, dept_a, tags, start_conversation):
    conversation, _ = start_conversation(dept_a)
    with pytest.raises(ProtocolError) as refused:
        workflow.change_tags(conversation, worker_b, add=[tags["bau"].pk])
    assert refused.value.code == "forbidden"
    assert not conversation.tags.exists()


@pytest.mark.django_db
def test_assignment_and_status_changes_are_audited(worker_a, dept_a, start_conversation):
    conversation, _ = start_conversation(dept_a)
    workflow.take(conversation, worker_a)
    workflow.assign(conversation, worker_a, None)
    workflow.set_status(conversation, worker_a, "waiting")
    assert audit_rows(conversation, audit.ASSIGN) == [
        {"assignee": worker_a.pk, "take": True},
        {"assignee": None, "take": False},
    ]
    assert audit_rows(conversation, audit.STATUS) == [{"from": "new", "to": "waiting"}]


@pytest.mark.django_db
def test_tag_names_refuse_control_characters_and_duplicates(dept_a, tags):
    with pytest.raises(ValidationError) as error:
        ConversationTag(department=dept_a, name="Bau\r\nX-EVIL:1").full_clean()
    assert "name" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        ConversationTag(department=dept_a, name="Bauantrag").full_clean()
    assert "name" in error.value.message_dict
    ConversationTag(department=dept_a, name="Rückfrage Statik").full_clean()


@SOCKET
async def test_the_socket_tags_through_the_same_command_and_the_inbox_hears_of_it(
    open_socket, dept_a, worker_a, worker_b, tags, start_conversation
):
    conversation, _ = await sync_to_async(start_conversation)(dept_a)
    staff, _ = await staff_socket(open_socket, worker_a)
    await staff.send_json_to({"v": 1, "type": "tags", "conversation": conversation.pk, "add": [tags["bau"].pk]})
    done = await receive_type(staff, "done", skip=("conversation",))
    assert done["action"] == "tags" and done["conversation"]["id"] == conversation.pk
    summary = await receive_type(staff, "conversation", skip=())
    assert summary["conversation"]["id"] == conversation.pk
    assert await sync_to_async(lambda: list(conversation.tags.values_list("pk", flat=True)))() == [tags["bau"].pk]

    # Another department's tag, or another department's case worker: refused.
    await staff.send_json_to({"v": 1, "type": "tags", "conversation": conversation.pk, "add": [tags["melde"].pk]})
    assert (await receive_type(staff, "error", skip=("conversation",)))["code"] == "invalid_tag"
    theirs, _ = await staff_socket(open_socket, worker_b)
    await theirs.send_json_to({"v": 1, "type": "tags", "conversation": conversation.pk, "remove": [tags["bau"].pk]})
    assert (await receive_type(theirs, "error", skip=("conversation",)))["code"] == "forbidden"
    assert await sync_to_async(lambda: conversation.tags.count())() == 1
