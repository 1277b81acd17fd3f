"""A citizen on a CMS page and a case worker in the Wagtail admin talk live."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import login

pytestmark = pytest.mark.browser


def start_chat(page, text):
    page.goto("/bauverwaltung/")
    page.get_by_label("Anliegen").fill(text)
    page.get_by_role("checkbox", name=re.compile("Datenschutzhinweise")).check()
    page.get_by_role("button", name="Chat starten").click()
    expect(page.get_by_label("Nachricht", exact=True)).to_be_visible()


def test_citizen_and_case_worker_talk_live(new_context):
    citizen_context = new_context()
    citizen = citizen_context.new_page()
    citizen.goto("/bauverwaltung/")
    # Nothing is stored in the browser before the citizen clicks "Chat starten".
    assert citizen_context.cookies() == []
    assert citizen.evaluate("window.localStorage.length") == 0
    expect(citizen.get_by_label("Name (optional)")).to_be_visible()
    expect(citizen.get_by_label("E-Mail (optional)")).to_be_visible()

    start_chat(citizen, "Brauche ich eine Baugenehmigung für einen Carport?")
    assert citizen_context.cookies() == []
    stored = citizen.evaluate("Object.keys(window.localStorage)")
    assert len(stored) == 1 and stored[0].startswith("buergerchat.v1.department.")
    assert "secret" not in citizen.url
    log = citizen.get_by_role("log")
    expect(log).to_contain_text("Brauche ich eine Baugenehmigung für einen Carport?")

    staff_context = new_context()
    staff = staff_context.new_page()
    login(staff, "bauamt", "bauamt")
    staff.goto("/admin/buergerchat/")
    staff.get_by_role("link", name="Brauche ich eine Baugenehmigung für einen Carport?").click()
    expect(staff.get_by_role("log")).to_contain_text("Carport")

    # The case worker answers; the citizen sees it without reloading.
    staff.get_by_label("Antwort").fill("Für Carports bis 30 m² in der Regel nicht.")
    staff.get_by_role("button", name="Senden", exact=True).click()
    expect(log).to_contain_text("Für Carports bis 30 m² in der Regel nicht.")
    expect(staff.get_by_role("log")).to_contain_text("Für Carports bis 30 m²")

    # The citizen answers; the case worker sees it without reloading.
    citizen.get_by_label("Nachricht", exact=True).fill("Danke! Und bei 35 m²?")
    citizen.get_by_role("button", name="Senden", exact=True).click()
    expect(staff.get_by_role("log")).to_contain_text("Danke! Und bei 35 m²?")
    expect(citizen.locator("[data-state=sent]").last).to_contain_text("gesendet")

    # After a reload the conversation is still there, each message once.
    citizen.reload()
    expect(citizen.get_by_role("log")).to_contain_text("Danke! Und bei 35 m²?")
    expect(citizen.get_by_role("log").get_by_text("Danke! Und bei 35 m²?")).to_have_count(1)
    expect(citizen.get_by_role("log").get_by_text("Für Carports bis 30 m² in der Regel nicht.")).to_have_count(1)


def test_inbox_shows_new_conversations_live(new_context):
    staff = new_context().new_page()
    login(staff, "bauamt", "bauamt")
    staff.goto("/admin/buergerchat/")
    expect(staff.get_by_role("heading", name=re.compile("Posteingang"))).to_be_visible()

    citizen = new_context().new_page()
    start_chat(citizen, "Frage zum Bebauungsplan Nordstadt")
    expect(staff.get_by_role("link", name="Frage zum Bebauungsplan Nordstadt")).to_be_visible()

    citizen.get_by_label("Nachricht", exact=True).fill("Gilt der Plan auch für Garagen?")
    citizen.get_by_role("button", name="Senden", exact=True).click()
    expect(staff.locator("#listing-results")).to_contain_text("Gilt der Plan auch für Garagen?")


def test_other_department_does_not_see_the_conversation(new_context):
    citizen = new_context().new_page()
    start_chat(citizen, "Vertrauliche Frage an die Bauverwaltung")

    other = new_context().new_page()
    login(other, "buergerbuero", "buergerbuero")
    other.goto("/admin/buergerchat/")
    expect(other.get_by_text("Vertrauliche Frage an die Bauverwaltung")).to_have_count(0)


def test_start_form_errors_are_shown_next_to_the_fields(new_context):
    context = new_context()
    page = context.new_page()
    page.goto("/bauverwaltung/")
    page.get_by_role("button", name="Chat starten").click()
    expect(page.get_by_role("alert")).to_contain_text("Bitte korrigieren Sie")
    text = page.get_by_label("Anliegen")
    expect(text).to_have_attribute("aria-invalid", "true")
    expect(text).to_be_focused()
    expect(page.locator("#div_" + text.get_attribute("id"))).to_contain_text("Bitte beschreiben Sie Ihr Anliegen")
    expect(page.get_by_role("checkbox", name=re.compile("Datenschutzhinweise"))).to_have_attribute("aria-invalid", "true")
    assert context.cookies() == []
    assert page.evaluate("window.localStorage.length") == 0


def test_message_errors_are_announced_and_nothing_is_lost(new_context):
    page = new_context().new_page()
    start_chat(page, "Test der Fehlermeldungen")
    page.get_by_role("button", name="Senden", exact=True).click()
    expect(page.get_by_text("Bitte geben Sie eine Nachricht ein.")).to_be_visible()
    expect(page.get_by_label("Nachricht", exact=True)).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Nachricht", exact=True).fill("Jetzt mit Text")
    page.get_by_role("button", name="Senden", exact=True).click()
    expect(page.locator("[data-state=sent]").get_by_text("Jetzt mit Text")).to_have_count(1)


def test_http_fallback_when_websockets_are_blocked(new_context):
    citizen_context = new_context()
    # Simulate a network that blocks WebSockets: every socket is closed before it opens.
    citizen_context.route_web_socket(re.compile(".*/ws/buergerchat/.*"), lambda ws: ws.close())
    citizen = citizen_context.new_page()
    start_chat(citizen, "Frage über eine Firewall hinweg")
    citizen.get_by_label("Nachricht", exact=True).fill("Kommt das an?")
    citizen.get_by_role("button", name="Senden", exact=True).click()

    staff = new_context().new_page()
    login(staff, "bauamt", "bauamt")
    staff.goto("/admin/buergerchat/")
    staff.get_by_role("link", name="Frage über eine Firewall hinweg").click()
    expect(staff.get_by_role("log")).to_contain_text("Kommt das an?")
    staff.get_by_label("Antwort").fill("Ja, über den Ausweichweg.")
    staff.get_by_role("button", name="Senden", exact=True).click()
    expect(citizen.get_by_role("log")).to_contain_text("Ja, über den Ausweichweg.", timeout=20_000)
