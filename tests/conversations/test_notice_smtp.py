"""The answer notice over a real SMTP connection (aiosmtpd, started on a free port):
the mail as it leaves the server holds no message text, no name, no subject, no code."""

import datetime
import email
import email.policy
import threading
import uuid

import pytest
from aiosmtpd.controller import Controller
from django.test import Client
from django.utils import timezone

from buergerchat_wagtail.conversations import notifications, services
from buergerchat_wagtail.models import Conversation, SenderType
from tests.live_servers import free_port

pytestmark = pytest.mark.django_db

CONCERN = "Lärmbelästigung durch die Baustelle Lindenallee 12"
ANSWER = "Die Genehmigung 2024-BA-0815 erlaubt Arbeiten bis 20 Uhr"
NAME = "Erika Mustermann"


class Collector:
    def __init__(self):
        self.messages = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        self.arrived.set()
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings):
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    try:
        yield collector
    finally:
        controller.stop()


def test_the_notice_leaks_nothing_over_real_smtp(smtp_server, dept_a, worker_a, chat_page, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            f"/buergerchat/start/{dept_a.pk}/",
            {
                "text": CONCERN,
                "name": NAME,
                "email": "erika@example.org",
                "notify": "on",
                "privacy": "on",
                "page": str(chat_page.pk),
            },
        )
    assert response.status_code == 201
    secret = response.json()["secret"]
    conversation = Conversation.objects.get(reference=response.json()["conversation"]["reference"])
    with django_capture_on_commit_callbacks(execute=True):
        services.post_message(
            conversation=conversation, sender=SenderType.STAFF, body=ANSWER, client_id=uuid.uuid4(), author=worker_a
        )
    assert notifications.send_due_notices(timezone.now() + datetime.timedelta(seconds=121)) == 1
    assert smtp_server.arrived.wait(10), "no mail reached the SMTP server"
    assert len(smtp_server.messages) == 1
    envelope = smtp_server.messages[0]
    assert envelope.rcpt_tos == ["erika@example.org"]
    raw = envelope.content.decode("utf-8", "replace")
    parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
    text = parsed.get_content()
    subject = parsed["Subject"]
    assert dept_a.name in subject and dept_a.name in text
    assert f"{chat_page.full_url}#resume=" in text
    assert "/buergerchat/notices/stop/" in text
    for leak in (CONCERN, "Lärmbelästigung", "Lindenallee", ANSWER, "2024-BA-0815", NAME, "Erika", "Mustermann",
                 conversation.subject, secret, conversation.reference, worker_a.get_full_name() or "x" * 40):
        for where in (text, subject, raw):
            assert leak not in where, f"{leak!r} leaked into the mail"
