"""The citizen left, the answer came later (issue 16.1), in Chromium against the demo
site served by daphne and a real SMTP server (aiosmtpd) started by the test.

The citizen asks for an e-mail notice and closes the tab; a case worker answers; the
notice arrives (content-free); its link opens the widget with the conversation on
another device; the same link opened again shows the code form with a clear message.
"""

import email
import email.policy
import json
import re
import threading
import time
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import expect

from tests.live_servers import free_port

from .conftest import DemoServer, login

pytestmark = pytest.mark.browser

CONCERN = "Wie lange gilt meine Baugenehmigung für das Flurstück 815?"
ANSWER = "Ihre Baugenehmigung gilt drei Jahre ab Zustellung."
NAME = "Erika Mustermann"


class Collector:
    """Keeps the mails to the citizen (the department's "new conversation" mail goes
    to the department's address)."""

    def __init__(self, recipient):
        self.recipient = recipient
        self.messages = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if self.recipient in envelope.rcpt_tos:
            self.messages.append(envelope)
            self.arrived.set()
        return "250 Message accepted for delivery"


@pytest.fixture(scope="module")
def smtp():
    collector = Collector("erika@example.org")
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    collector.port = controller.port
    yield collector
    controller.stop()


@pytest.fixture(scope="module")
def notice_server(smtp):
    server = DemoServer(
        {
            "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "DJANGO_EMAIL_HOST": "127.0.0.1",
            "DJANGO_EMAIL_PORT": str(smtp.port),
            # Answers within 2 s make one notice; the staff page's syncs (every second)
            # run the job that sends due notices (the demo's task backend cannot defer).
            "BUERGERCHAT_JSON": json.dumps(
                {"CONVERSATIONS_PER_HOUR": 10000, "NOTICE_DELAY": 2, "NOTICE_CHECK_INTERVAL": 1}
            ),
            "BUERGERCHAT_RESYNC_INTERVAL": "1",
        }
    ).start()
    yield server
    server.stop()


@pytest.fixture
def contexts(browser, notice_server):
    made = []

    def make():
        context = browser.new_context(base_url=notice_server.url, locale="de-DE")
        context.set_default_timeout(15_000)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


def test_notice_after_the_citizen_left_and_the_link_works_once(contexts, smtp, notice_server):
    citizen_context = contexts()
    citizen = citizen_context.new_page()
    citizen.goto("/bauverwaltung/")
    notify = citizen.get_by_role("checkbox", name="Benachrichtigen Sie mich per E-Mail, wenn eine Antwort da ist")
    # Offered only with an e-mail address.
    expect(notify).to_be_hidden()
    citizen.get_by_label("Anliegen").fill(CONCERN)
    citizen.get_by_label("Name (optional)").fill(NAME)
    citizen.get_by_label("E-Mail (optional)").fill("erika@example.org")
    expect(notify).to_be_visible()
    expect(citizen.get_by_text("Wir verwenden Ihre E-Mail-Adresse nur für diese Benachrichtigung")).to_be_visible()
    notify.check()
    citizen.get_by_role("checkbox", name=re.compile("Datenschutzhinweise")).check()
    citizen.get_by_role("button", name="Chat starten").click()
    expect(citizen.get_by_role("log")).to_contain_text(CONCERN)
    expect(citizen.locator("[data-bc-widget][data-bc-ready]")).to_have_count(1)
    # The citizen closes the tab (and the browser: the link is opened on another device).
    citizen_context.close()

    staff = contexts().new_page()
    login(staff, "bauamt", "bauamt")
    staff.goto("/admin/buergerchat/")
    staff.get_by_role("link", name=CONCERN).first.click()
    staff.get_by_label("Antwort").fill(ANSWER)
    staff.get_by_role("button", name="Senden", exact=True).click()
    expect(staff.get_by_role("log")).to_contain_text(ANSWER)
    staff.get_by_label("Antwort").fill("Eine Verlängerung können Sie formlos beantragen.")
    staff.get_by_role("button", name="Senden", exact=True).click()

    assert smtp.arrived.wait(45), "no notice reached the SMTP server"
    time.sleep(3)  # a second notice for the same burst would arrive now
    assert len(smtp.messages) == 1, "one notice per burst of answers"
    envelope = smtp.messages[0]
    assert envelope.rcpt_tos == ["erika@example.org"]
    parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
    text = parsed.get_content()
    raw = envelope.content.decode("utf-8", "replace")
    assert "Bauverwaltung" in parsed["Subject"] and "Bauverwaltung" in text
    for leak in (CONCERN, "Flurstück", ANSWER, "Verlängerung", NAME, "Erika", "Mustermann"):
        assert leak not in text and leak not in raw and leak not in parsed["Subject"], leak
    link = re.search(r"https?://\S+#resume=[A-Za-z0-9_-]+", text).group(0)
    # The demo's Site says 127.0.0.1:8000; this test's server runs on another port.
    parts = urlsplit(link)
    local_link = notice_server.url + parts.path + "#" + parts.fragment

    # Another device opens the link: the conversation, without entering the code.
    device = contexts().new_page()
    requests = []
    device.on("request", lambda request: requests.append(request.url))
    device.goto(local_link)
    log = device.get_by_role("log")
    expect(log).to_contain_text(ANSWER)
    expect(log).to_contain_text(CONCERN)
    assert "#resume" not in device.url  # removed from the address and its history entry
    assert not any("resume=" in url for url in requests), "the token went into a URL sent to the server"
    stored = device.evaluate("Object.keys(window.localStorage)")
    assert len(stored) == 1

    # The same link again (a third device): used up, the code form says so.
    again = contexts().new_page()
    again.goto(local_link)
    expect(again.get_by_text("Dieser Link wurde bereits verwendet oder ist abgelaufen.")).to_be_visible()
    expect(again.get_by_role("textbox", name="Gesprächscode")).to_be_visible()
    expect(again.get_by_role("textbox", name="Gesprächscode")).to_be_focused()
    assert again.evaluate("window.localStorage.length") == 0
