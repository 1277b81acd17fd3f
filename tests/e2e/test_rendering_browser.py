"""In a real browser, citizen and case worker in separate contexts: messages with
links and lists (16.4) and image thumbnails (12.4), live and after a reload, under
the demo's strict CSP."""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from .axe import assert_no_axe_violations
from .conftest import login
from .test_security_browser import Watched, start_chat

pytestmark = pytest.mark.browser

REL = "noopener noreferrer nofollow"
CITIZEN_URL = "https://www.musterstadt.de/bauen/carport?seite=2"
STAFF_URL = "https://www.musterstadt.de/formulare/bauantrag.pdf"


def photo_png():
    image = Image.new("RGB", (900, 600), (30, 120, 200))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def expect_link(scope, url):
    link = scope.get_by_role("link", name=url, exact=True)
    expect(link).to_have_count(1)
    expect(link).to_have_attribute("href", url)
    expect(link).to_have_attribute("rel", REL)
    expect(link).to_have_attribute("target", "_blank")
    return link


def expect_loaded_thumbnail(scope, name):
    image = scope.get_by_role("img", name=name, exact=True)
    expect(image).to_be_visible()
    expect(image).to_have_attribute("alt", name)
    image.evaluate("img => img.decode()")
    assert image.evaluate("img => img.naturalWidth") == 320
    return image


def test_links_lists_and_thumbnails_for_citizen_and_staff(new_context):
    citizen = Watched(new_context())
    start_chat(citizen.page, "Carport mit Formatierung")
    log = citizen.page.get_by_role("log")
    text = f"Hier steht es: {CITIZEN_URL}.\nIch habe:\n- einen Lageplan\n- <b>kein</b> Foto\n<script>window.__bcXss=1</script>"
    citizen.page.get_by_label("Nachricht", exact=True).fill(text)
    citizen.page.get_by_role("button", name="Senden", exact=True).click()
    expect(citizen.page.locator("[data-state=sent]").filter(has_text="einen Lageplan")).to_have_count(1)
    expect_link(log, CITIZEN_URL)
    expect(log.locator(".bc-message__body ul > li")).to_have_text(["einen Lageplan", "<b>kein</b> Foto"])

    staff = Watched(new_context())
    login(staff.page, "bauamt", "bauamt")
    staff.page.goto("/admin/buergerchat/")
    staff.page.get_by_role("link", name="Carport mit Formatierung").click()
    thread = staff.page.get_by_role("log")
    # Server-rendered (the template filter): the same link and list.
    expect_link(thread, CITIZEN_URL)
    expect(thread.locator(".bc-thread__body ul > li")).to_have_text(["einen Lageplan", "<b>kein</b> Foto"])
    expect(thread).to_contain_text("<script>window.__bcXss=1</script>")

    # Live, both ways: a numbered list and a link from the case worker.
    staff.page.get_by_label("Antwort").fill(f"Bitte:\n1. Formular {STAFF_URL}\n2. Lageplan hochladen")
    staff.page.get_by_role("button", name="Senden", exact=True).click()
    expect(log.locator(".bc-message__body ol > li")).to_have_text([f"Formular {STAFF_URL}", "Lageplan hochladen"])
    expect_link(log, STAFF_URL)
    expect(thread.locator(".bc-thread__body ol > li")).to_have_count(2)
    expect_link(thread, STAFF_URL)

    # A photo: the citizen and the case worker see a thumbnail named by the file.
    citizen.page.locator("[data-bc-file]").set_input_files(
        {"name": "Grundstück.png", "mimeType": "image/png", "buffer": photo_png()}
    )
    citizen.page.locator("[data-bc-upload-button]").click()
    expect_loaded_thumbnail(log, "Grundstück.png")
    expect_loaded_thumbnail(thread, "Grundstück.png")  # live, from the attachment event

    # After a reload: the widget from the payload, the admin from the template.
    citizen.page.reload()
    log = citizen.page.get_by_role("log")
    expect_link(log, CITIZEN_URL)
    expect_loaded_thumbnail(log, "Grundstück.png")
    staff.page.reload()
    thread = staff.page.get_by_role("log")
    expect_link(thread, STAFF_URL)
    expect_loaded_thumbnail(thread, "Grundstück.png")

    # Links, lists and previews add no accessibility problem (axe, WCAG 2.1 AA).
    assert_no_axe_violations(citizen.page, state="widget with links, lists and a thumbnail")
    assert_no_axe_violations(staff.page, state="conversation with links, lists and a thumbnail")

    assert citizen.page.evaluate("window.__bcXss") is None
    assert staff.page.evaluate("window.__bcXss") is None
    assert citizen.problems() == []
    assert staff.problems() == []
