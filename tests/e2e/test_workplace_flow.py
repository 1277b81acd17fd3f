"""The case worker's workplace in a real browser: a transfer seen live by everyone,
and the keyboard-only way through reply, canned answer, note, closing and rating."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from .conftest import login

pytestmark = pytest.mark.browser


def start_chat(page, text, path="/bauverwaltung/"):
    page.goto(path)
    page.get_by_label("Anliegen").fill(text)
    page.get_by_role("checkbox", name=re.compile("Datenschutzhinweise")).check()
    page.get_by_role("button", name="Chat starten").click()
    expect(page.locator("[data-bc-widget][data-bc-ready]")).to_have_count(1)


def staff_page(new_context, username):
    page = new_context().new_page()
    login(page, username, username)
    return page


def open_conversation(page, subject):
    page.goto("/admin/buergerchat/")
    page.get_by_role("link", name=subject).click()
    expect(page.locator("[data-controller=bc-conversation][data-bc-ready]")).to_have_count(1)


def test_transfer_from_bauverwaltung_to_buergerbuero_is_seen_live_by_citizen_and_both_departments(new_context):
    subject = f"Meldebescheinigung benötigt {uuid.uuid4().hex[:6]}"
    citizen = new_context().new_page()
    start_chat(citizen, subject)

    bauamt = staff_page(new_context, "bauamt")
    open_conversation(bauamt, subject)
    buergerbuero = staff_page(new_context, "buergerbuero")
    buergerbuero.goto("/admin/buergerchat/")
    expect(buergerbuero.get_by_role("link", name=subject)).to_have_count(0)
    bauamt_inbox = bauamt.context.new_page()
    bauamt_inbox.goto("/admin/buergerchat/")
    expect(bauamt_inbox.get_by_role("link", name=subject)).to_be_visible()

    # Bauverwaltung passes it on, with a reason for the colleagues.
    bauamt.locator(".bc-transfer > summary").click()
    form = bauamt.locator("form[data-bc-action=transfer]")
    form.locator("select[name=department]").select_option(label="Bürgerbüro")
    form.locator("textarea[name=reason]").fill("Es geht um das Meldewesen.")
    form.locator("button[type=submit]").click()

    # The citizen is told in the chat, live.
    expect(citizen.locator(".bc-message--system")).to_contain_text("Bürgerbüro")
    expect(citizen.get_by_role("log")).not_to_contain_text("Meldewesen")  # the reason is for staff only
    # Bauverwaltung sees it go: a notice, no more reply box, and it leaves their inbox.
    expect(bauamt.locator("[data-bc-conversation-target=notice]")).to_contain_text("Bürgerbüro")
    expect(bauamt.locator("form.bc-reply")).to_be_hidden()
    expect(bauamt.get_by_role("log")).to_contain_text("Es geht um das Meldewesen.")
    expect(bauamt_inbox.get_by_role("link", name=subject)).to_have_count(0)
    # Bürgerbüro sees it arrive without reloading, with the reason.
    expect(buergerbuero.get_by_role("link", name=subject)).to_be_visible()
    buergerbuero.get_by_role("link", name=subject).click()
    expect(buergerbuero.get_by_role("log")).to_contain_text("Es geht um das Meldewesen.")
    expect(buergerbuero.locator("[data-bc-field=department]")).to_have_text("Bürgerbüro")

    # And the conversation goes on with the new department.
    buergerbuero.get_by_label("Antwort").fill("Die Meldebescheinigung schicken wir Ihnen zu.")
    buergerbuero.get_by_role("button", name="Senden", exact=True).click()
    expect(citizen.get_by_role("log")).to_contain_text("Die Meldebescheinigung schicken wir Ihnen zu.")
    # Bauverwaltung can no longer open it.
    assert bauamt.goto(bauamt.url).status == 403


def test_keyboard_reply_canned_answer_note_close_and_rating(new_context):
    subject = f"Frage zum Gartenhaus {uuid.uuid4().hex[:6]}"
    citizen = new_context().new_page()
    start_chat(citizen, subject)
    staff = staff_page(new_context, "bauamt")
    open_conversation(staff, subject)
    body = staff.locator("body")

    # The citizen types: the case worker sees it.
    citizen.get_by_label("Nachricht", exact=True).press_sequentially("Hallo", delay=30)
    expect(staff.locator("[data-bc-conversation-target=typing]")).not_to_be_empty()
    citizen.get_by_role("button", name="Senden", exact=True).click()
    expect(staff.get_by_role("log")).to_contain_text("Hallo")

    # "?" shows the shortcuts (Wagtail's dialog component).
    body.press("?")
    expect(staff.locator("#bc-shortcuts-dialog")).to_be_visible()
    staff.keyboard.press("Escape")
    expect(staff.locator("#bc-shortcuts-dialog")).to_be_hidden()

    # "r" goes to the reply box; Ctrl+. opens the canned answers; type, Enter inserts.
    body.press("r")
    reply = staff.get_by_label("Antwort")
    expect(reply).to_be_focused()
    reply.press("Control+.")
    search = staff.locator("#bc-canned-search")
    expect(search).to_be_focused()
    search.press_sequentially("unterlagen")
    expect(staff.locator("[data-bc-canned-option]:visible")).to_have_count(1)
    search.press("Enter")
    expect(reply).to_be_focused()
    expect(reply).to_have_value(re.compile("Lageplan"))
    reply.press("Control+Enter")
    expect(citizen.get_by_role("log")).to_contain_text("Lageplan")
    # The citizen's message shows as read by the staff.
    expect(citizen.locator("[data-sender=citizen][data-bc-read]").last).to_contain_text("·")

    # Esc leaves the box, "i" writes an internal note: the citizen never sees it.
    reply.press("Escape")
    body.press("i")
    expect(reply).to_be_focused()
    expect(staff.locator("form.bc-reply")).to_have_class(re.compile("bc-reply--note"))
    reply.fill("Interne Notiz: Rückruf vereinbart.")
    reply.press("Control+Enter")
    expect(staff.locator(".bc-thread__message--internal")).to_contain_text("Rückruf vereinbart")
    reply.press("Escape")

    # "t" takes it, Shift+C closes it; the citizen is told and may rate.
    body.press("t")
    expect(staff.locator("[data-bc-field=assignee]")).to_have_text("Berta Baumann")
    body.press("Shift+C")
    expect(citizen.locator("[data-bc-closed]")).to_be_visible()
    citizen.locator("[data-bc-rating-score][value='5']").check()
    citizen.locator("[data-bc-rating-comment]").fill("Sehr hilfreich")
    citizen.locator("[data-bc-rating-form] button[type=submit]").click()
    expect(citizen.locator("[data-bc-rating-thanks]")).to_be_visible()
    expect(staff.locator("[data-bc-field=rating]")).to_contain_text("Sehr hilfreich")
    expect(citizen.get_by_role("log")).not_to_contain_text("Rückruf vereinbart")
    citizen.reload()
    expect(citizen.get_by_role("log")).to_contain_text("Lageplan")
    expect(citizen.get_by_role("log")).not_to_contain_text("Rückruf vereinbart")
    expect(citizen.locator("[data-bc-closed]")).to_be_visible()

    # "n" opens the next waiting conversation (or returns to the inbox if none waits).
    body.press("n")
    staff.wait_for_url(re.compile(r"/admin/buergerchat/"))
