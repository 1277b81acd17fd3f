"""Tags, saved views and bulk actions in a real browser: a case worker tags a
conversation, saves the filters as a view shared with the department, sees a new
citizen's chat appear live in the view (and a tag filter follow a tag change live),
and closes two conversations at once."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from .conftest import login
from .test_security_browser import Watched

pytestmark = pytest.mark.browser


def start_chat(page, text, path="/bauverwaltung/"):
    page.goto(path)
    page.get_by_label("Anliegen").fill(text)
    page.get_by_role("checkbox", name=re.compile("Datenschutzhinweise")).check()
    page.get_by_role("button", name="Chat starten").click()
    expect(page.locator("[data-bc-widget][data-bc-ready]")).to_have_count(1)


def row(page, subject):
    return page.locator("#listing-results tbody tr", has_text=subject)


def select(page, subject):
    row(page, subject).locator("input[data-bulk-action-checkbox]").check()


def add_tag(page, name):
    page.locator("label", has_text=name).locator("input[name=add]").check()


def bulk(page, label):
    page.locator("[data-bulk-action-footer] a", has_text=label).click()


def test_tag_save_a_view_see_a_new_chat_live_and_close_two_at_once(new_context):
    uid = uuid.uuid4().hex[:6]
    first, second, third = (f"{text} {uid}" for text in ("Bauantrag Gartenhaus", "Carport an der Grenze", "Dachgaube geplant"))
    citizen = new_context().new_page()
    start_chat(citizen, first)

    watched = Watched(new_context())  # CSP violations and script errors are collected
    staff = watched.page
    login(staff, "bauamt", "bauamt")
    staff.goto("/admin/buergerchat/?status=new")
    expect(row(staff, first)).to_be_visible()

    # Tag the first conversation: select it, "Tags ändern", tick a tag of the department.
    select(staff, first)
    expect(staff.locator("[data-bulk-action-footer]")).to_be_visible()
    bulk(staff, "Tags ändern")
    expect(staff.get_by_role("heading", level=1)).to_contain_text("Tags ändern")
    expect(staff.locator("main")).to_contain_text(first)
    add_tag(staff, "Rückruf nötig")
    staff.get_by_role("button", name="Tags speichern").click()
    expect(staff.locator(".messages")).to_contain_text("Tags bei 1 Gespräch geändert.")
    assert staff.url.endswith("/admin/buergerchat/?status=new")
    expect(row(staff, first).locator(".bc-tag")).to_have_text("Rückruf nötig")

    # Save "new conversations" as a view for the colleagues of the department.
    staff.locator(".bc-views__new > summary").click()
    staff.get_by_label("Name der Ansicht").fill(f"Neue Anfragen {uid}")
    staff.get_by_label("Sichtbar für").select_option(label="Kolleginnen und Kollegen der Abteilung Bauverwaltung")
    staff.get_by_role("button", name="Ansicht speichern").click()
    expect(staff.locator(".messages")).to_contain_text(f"„Neue Anfragen {uid}“")
    view = staff.get_by_role("link", name=f"Neue Anfragen {uid}")
    expect(view).to_have_attribute("aria-current", "page")

    # Open the view from the plain inbox; a citizen starts a chat: it appears live.
    staff.goto("/admin/buergerchat/")
    staff.get_by_role("link", name=f"Neue Anfragen {uid}").click()
    expect(staff.get_by_role("link", name=f"Neue Anfragen {uid}")).to_have_attribute("aria-current", "page")
    expect(row(staff, first)).to_be_visible()
    select(staff, first)  # a selection survives the live refresh
    other_citizen = new_context().new_page()
    start_chat(other_citizen, second)
    expect(row(staff, second)).to_be_visible()
    expect(row(staff, first).locator("input[data-bulk-action-checkbox]")).to_be_checked()

    # A tag filter follows the tags live: a new chat without the tag does not appear,
    # tagging it (in another tab) brings it in.
    tag_view = staff.context.new_page()
    tag_view.goto("/admin/buergerchat/")
    tag_id = tag_view.locator("input[name=tag]").evaluate_all(
        "(boxes) => boxes.filter((box) => box.closest('label')?.textContent.includes('Rückruf nötig')).map((box) => box.value)"
    )[0]
    tag_view.goto(f"/admin/buergerchat/?tag={tag_id}")
    expect(row(tag_view, first)).to_be_visible()
    third_citizen = new_context().new_page()
    start_chat(third_citizen, third)
    expect(row(staff, third)).to_be_visible()  # in the "new" view
    expect(row(tag_view, third)).to_have_count(0)
    select(staff, third)
    bulk(staff, "Tags ändern")
    add_tag(staff, "Rückruf nötig")
    staff.get_by_role("button", name="Tags speichern").click()
    expect(row(tag_view, third)).to_be_visible()

    # Close two at once; the citizens are told, the view no longer lists them.
    staff.get_by_role("link", name=f"Neue Anfragen {uid}").click()
    select(staff, first)
    select(staff, second)
    expect(staff.locator("[data-bulk-action-num-objects]")).to_contain_text("2")
    bulk(staff, "Schließen")
    expect(staff.locator("main")).to_contain_text("Diese Gespräche schließen?")
    staff.get_by_role("button", name="Ja, schließen").click()
    expect(staff.locator(".messages")).to_contain_text("2 Gespräche geschlossen.")
    expect(row(staff, first)).to_have_count(0)
    expect(row(staff, second)).to_have_count(0)
    expect(row(staff, third)).to_be_visible()
    expect(citizen.locator("[data-bc-closed]")).to_be_visible()
    expect(other_citizen.locator("[data-bc-closed]")).to_be_visible()
    assert watched.problems() == []

    # On the conversation page (over the socket): untick the tag, tick another;
    # the tag filter in the other tab loses the conversation live.
    staff.get_by_role("link", name=third).click()
    expect(staff.locator("[data-controller=bc-conversation][data-bc-ready]")).to_have_count(1)
    tags_form = staff.locator("form[data-bc-action=tags]")
    tags_form.get_by_label("Rückruf nötig").uncheck()
    tags_form.get_by_label("Unterlagen fehlen").check()
    tags_form.get_by_role("button", name="Tags speichern").click()
    expect(row(tag_view, third)).to_have_count(0)
    staff.reload()
    expect(staff.locator("form[data-bc-action=tags]").get_by_label("Unterlagen fehlen")).to_be_checked()
    expect(staff.locator("form[data-bc-action=tags]").get_by_label("Rückruf nötig")).not_to_be_checked()
    assert watched.problems() == []

    # A colleague of the department sees the shared view.
    colleague = new_context().new_page()
    login(colleague, "admin", "admin")
    colleague.goto("/admin/buergerchat/")
    expect(colleague.get_by_role("link", name=f"Neue Anfragen {uid}")).to_be_visible()
