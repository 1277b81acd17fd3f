"""A live consultation session: two citizens wait, their positions update live, the
host takes the first from the admin, and the second moves up to position 1."""

import subprocess
import sys

import pytest
from playwright.sync_api import expect

from .conftest import ROOT, login

pytestmark = pytest.mark.browser

CREATE_RUNNING_SESSION = """
import datetime
from django.utils import timezone
from buergerchat_wagtail.models import ConsultationSession, Department
now = timezone.now()
session = ConsultationSession.objects.create(
    title="Sprechstunde jetzt", host="Oberbürgermeister Max Mustermann",
    department=Department.objects.get(slug="buergermeisteramt"),
    starts_at=now - datetime.timedelta(minutes=1), ends_at=now + datetime.timedelta(minutes=30), capacity=1)
print(session.pk)
"""


def running_session(demo_server):
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", CREATE_RUNNING_SESSION],
        cwd=ROOT,
        env=demo_server.env,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(result.stdout.strip().splitlines()[-1])


def join_queue(page, question):
    page.goto("/buergersprechstunde/")
    widget = page.locator("[data-bc-session]")
    form = widget.locator("[data-bc-start-form]")
    expect(form).to_be_visible()
    form.locator("textarea[name=text]").fill(question)
    form.locator("input[name=privacy]").check()
    form.locator("[type=submit]").click()
    queue = widget.locator("[data-bc-queue]")
    expect(queue).to_be_visible()
    # The conversation code is shown once, to be noted down.
    expect(widget.locator("[data-bc-code-value]")).not_to_be_empty()
    return queue


def test_queue_positions_update_live(new_context, demo_server):
    session_id = running_session(demo_server)

    first = new_context().new_page()
    first_queue = join_queue(first, "Wann wird die Hauptstraße saniert?")
    expect(first_queue).to_have_attribute("data-position", "1")
    expect(first_queue).to_have_attribute("data-status", "waiting")

    second = new_context().new_page()
    second_queue = join_queue(second, "Gibt es bald mehr Kita-Plätze?")
    expect(second_queue).to_have_attribute("data-position", "2")
    expect(second_queue.get_by_role("status")).to_contain_text("Sie sind Nr. 2 in der Warteschlange.")

    host = new_context().new_page()
    login(host, "sprechstunde", "sprechstunde")
    host.goto(f"/admin/buergerchat/consultations/{session_id}/")
    expect(host.locator("[data-bc-waiting-entry]")).to_have_count(2)
    host.locator("[data-bc-take-next]").click()

    # Without a reload: the first citizen's turn, the second moves up.
    expect(first_queue).to_have_attribute("data-status", "active")
    expect(second_queue).to_have_attribute("data-position", "1")
    expect(second_queue).to_have_attribute("data-status", "waiting")
    expect(host.locator("[data-bc-active-entry]")).to_contain_text("Wann wird die Hauptstraße saniert?")
    expect(host.locator("[data-bc-waiting-entry]")).to_have_count(1)

    # The host answers in the conversation; the citizen reads it live.
    host.locator("[data-bc-active-entry] a").click()
    host.get_by_label("Antwort").fill("Im Frühjahr, Frau Nachbarin.")
    host.get_by_role("button", name="Senden", exact=True).click()
    expect(first.get_by_role("log")).to_contain_text("Im Frühjahr")

    # Capacity 1: taking the next one needs the first talk ended.
    host.goto(f"/admin/buergerchat/consultations/{session_id}/")
    expect(host.locator("[data-bc-take-next]")).to_be_disabled()
    host.locator("[data-bc-active-entry] button[type=submit]").click()
    expect(first_queue).to_have_attribute("data-status", "done")
    host.locator("[data-bc-take-next]").click()
    expect(second_queue).to_have_attribute("data-status", "active")
