"""Content-free e-mails: to the citizen when staff answer, to the department when a
conversation arrives while no one is online. No message text, names or secrets."""

import datetime
import uuid

import pytest
from django.core import mail
from django.utils import timezone

from buergerchat_wagtail.availability import presence
from buergerchat_wagtail.conversations import services
from buergerchat_wagtail.models import CitizenNotice, SenderType

pytestmark = pytest.mark.django_db


@pytest.fixture
def act(django_capture_on_commit_callbacks):
    """``act(fn, *args)``: run ``fn`` and then its after-commit hooks (the e-mails)."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run

SECRET_TEXT = "Mein Flurstück 4711 und meine Kontonummer"


def staff_reply(conversation, user, body="Antwort mit Inhalt"):
    return services.post_message(
        conversation=conversation, sender=SenderType.STAFF, body=body, client_id=uuid.uuid4(), author=user
    )


def citizen_writes(conversation, body="Noch eine Frage"):
    return services.post_message(conversation=conversation, sender=SenderType.CITIZEN, body=body, client_id=uuid.uuid4())


def test_department_gets_a_content_free_mail_when_no_one_is_online(dept_a, start_conversation, act):
    dept_a.email = "bauamt@example.org"
    dept_a.save()
    conversation, secret = act(start_conversation, dept_a, text=SECRET_TEXT, name="Erika Muster", email="erika@example.org")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["bauamt@example.org"]
    assert conversation.reference in message.subject
    assert f"/admin/buergerchat/conversations/{conversation.pk}/" in message.body
    for leak in (SECRET_TEXT, "Flurstück", "Erika", "erika@example.org", secret):
        assert leak not in message.body and leak not in message.subject


def test_no_department_mail_while_a_case_worker_is_online(dept_a, worker_a, start_conversation, act):
    dept_a.email = "bauamt@example.org"
    dept_a.save()
    presence.register("chan-1", worker_a)
    act(start_conversation, dept_a)
    assert mail.outbox == []
    # Away does not count as online.
    presence.set_away(worker_a, True)
    act(start_conversation, dept_a)
    assert len(mail.outbox) == 1
    # A presence row that stopped pinging expires.
    presence.set_away(worker_a, False)
    from buergerchat_wagtail.models import StaffPresence

    StaffPresence.objects.update(last_seen=timezone.now() - datetime.timedelta(minutes=5))
    act(start_conversation, dept_a)
    assert len(mail.outbox) == 2


def test_no_citizen_mail_without_address(dept_a, worker_a, start_conversation, act):
    conversation, _ = act(start_conversation, dept_a)
    act(staff_reply, conversation, worker_a)
    assert mail.outbox == []


def test_no_citizen_mail_without_opt_in(dept_a, worker_a, start_conversation, chat_page, act):
    """An address alone is not consent: notices are opt-in (tests/conversations/test_answer_notices.py)."""
    conversation, _ = act(start_conversation, dept_a, email="erika@example.org")
    CitizenNotice.objects.create(conversation=conversation, page=chat_page)
    mail.outbox.clear()
    act(staff_reply, conversation, worker_a)
    assert mail.outbox == []
