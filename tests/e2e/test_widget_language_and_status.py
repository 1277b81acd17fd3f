"""The widget in the browser's language, and status messages next to their cause.

- An English browser (locale en-US) gets the page and the widget in English;
  German is the default for every other language (issue 12.3).
- "Chat gestartet …" appears at the top of the conversation, "Die PDF-Datei wurde
  heruntergeladen." beside the PDF button, each once and in a role=status region;
  "Dieses Gespräch wurde geschlossen." is said once, in the thread (issue 12.4).
"""

import re
import uuid

import pytest
from playwright.sync_api import expect

from .conftest import login

pytestmark = pytest.mark.browser


def start_chat(page, text, *, concern="Anliegen", privacy="Datenschutzhinweise", button="Chat starten"):
    page.goto("/bauverwaltung/")
    page.get_by_label(concern).fill(text)
    page.get_by_role("checkbox", name=re.compile(privacy)).check()
    page.get_by_role("button", name=button).click()
    expect(page.locator("[data-bc-widget][data-bc-ready]")).to_have_count(1)


def test_english_browser_gets_the_widget_in_english(new_context):
    page = new_context(locale="en-US").new_page()
    page.goto("/bauverwaltung/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Start chat")).to_be_visible()
    expect(page.get_by_text("Chat starten")).to_have_count(0)
    start_chat(page, "Do I need a permit for a carport?", concern="Your concern", privacy="privacy notice", button="Start chat")
    expect(page.locator("[data-bc-status=chat]")).to_have_text("Chat started. You can now write messages.")
    expect(page.get_by_label("Message", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Download history as PDF")).to_be_visible()


def test_french_browser_gets_german(new_context):
    page = new_context(locale="fr-FR").new_page()
    page.goto("/bauverwaltung/")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("button", name="Chat starten")).to_be_visible()


def test_status_messages_appear_once_next_to_their_cause(new_context):
    page = new_context().new_page()
    start_chat(page, f"Frage zur Hausnummer {uuid.uuid4().hex[:6]}")

    started = page.get_by_text("Chat gestartet. Sie können jetzt Nachrichten schreiben.")
    expect(started).to_have_count(1)
    expect(started).to_have_attribute("role", "status")
    # At the top of the conversation, above the message box (where the start form was).
    message_box = page.get_by_label("Nachricht", exact=True)
    assert started.bounding_box()["y"] < message_box.bounding_box()["y"]

    button = page.get_by_role("button", name="Verlauf als PDF herunterladen")
    with page.expect_download(timeout=60_000) as download:
        button.click()
    assert download.value.suggested_filename.endswith(".pdf")
    ready = page.get_by_text("Die PDF-Datei wurde heruntergeladen.")
    expect(ready).to_have_count(1)
    expect(ready).to_have_attribute("role", "status")
    # Beside the button: on its line, not somewhere below.
    assert abs(ready.bounding_box()["y"] - button.bounding_box()["y"]) < button.bounding_box()["height"]
    # The earlier message made room for the new one.
    expect(started).to_have_count(0)


def test_closed_is_said_once(new_context):
    subject = f"Frage zum Zaun {uuid.uuid4().hex[:6]}"
    citizen = new_context().new_page()
    start_chat(citizen, subject)
    staff = new_context().new_page()
    login(staff, "bauamt", "bauamt")
    staff.goto("/admin/buergerchat/")
    staff.get_by_role("link", name=subject).click()
    expect(staff.get_by_role("log")).to_contain_text(subject)
    staff.get_by_role("button", name="Gespräch schließen").click()

    expect(citizen.locator("[data-bc-closed]")).to_be_visible()
    closed = citizen.get_by_text("Dieses Gespräch wurde geschlossen.")
    expect(closed).to_have_count(1)
    expect(citizen.get_by_role("log")).to_contain_text("Dieses Gespräch wurde geschlossen.")
    # What follows from it is still said below, next to the rating.
    expect(citizen.locator("[data-bc-closed-text]")).to_contain_text("erneut schreiben")
    citizen.reload()
    expect(citizen.locator("[data-bc-closed]")).to_be_visible()
    expect(citizen.get_by_text("Dieses Gespräch wurde geschlossen.")).to_have_count(1)
