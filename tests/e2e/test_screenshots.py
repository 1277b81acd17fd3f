"""Screenshots for the README and the German guides, taken from the running demo site.

The test runs in the normal suite and writes into a temporary directory; with
BUERGERCHAT_SCREENSHOT_DIR set (``make screenshots`` sets docs/screenshots) the
pictures land where README.md, docs/editors.md and docs/staff.md show them.

Pictures are of one element or of the viewport, never of a whole long page, to keep
the PNGs small. Elements are found by role, label or the widget's data- attributes,
so new UI elsewhere on the pages does not break the test.
"""

import os
import re
import struct
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .conftest import login
from .test_chat_flow import start_chat

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 860}
MOBILE = {"width": 360, "height": 720}

#: name -> where it is shown
PICTURES = {
    "citizen-widget": "README.md",
    "citizen-widget-mobile": "README.md",
    "staff-inbox": "README.md, docs/staff.md",
    "staff-conversation": "README.md, docs/staff.md",
    "staff-team-board": "docs/staff.md",
    "editor-department": "docs/editors.md",
    "editor-office-hours": "docs/editors.md",
    "editor-chat-block": "docs/editors.md",
    "editor-setup": "docs/editors.md",
    "editor-readiness": "docs/editors.md",
    "citizen-notice-optin": "docs/staff.md",
    "staff-tags-views": "docs/staff.md, docs/editors.md",
}
#: Taken by test_screenshots_for_readme_and_guides (the others by their own tests).
GUIDE_PICTURES = [name for name in PICTURES if name not in ("editor-setup", "editor-readiness")]


@pytest.fixture
def shots(tmp_path):
    target = Path(os.environ.get("BUERGERCHAT_SCREENSHOT_DIR") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    return target


def png_size(path):
    """Width and height from the PNG header."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", data[16:24])


def shoot(target, name, subject):
    """Screenshot of a page's viewport or of one element (``subject`` is a Page or a Locator)."""
    assert name in PICTURES, name
    path = target / f"{name}.png"
    if hasattr(subject, "set_viewport_size"):
        subject.screenshot(path=str(path), full_page=False, animations="disabled")
    else:
        subject.scroll_into_view_if_needed()
        subject.screenshot(path=str(path), animations="disabled")
    small_png(path)
    return path


def small_png(path):
    """Re-save with a 256-colour palette: a third of the size, and the UI looks the same."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, dither=Image.Dither.NONE)
    small.save(path, optimize=True)


def widget(page):
    return page.locator("section[data-bc-widget]").first


def scroll_to_top(page):
    """Back to the top of the page, whichever element scrolls (the admin focuses the reply field)."""
    page.evaluate(
        """() => {
            document.activeElement?.blur();
            for (const el of [document.scrollingElement, ...document.querySelectorAll("*")]) {
                if (el && el.scrollTop > 0) el.scrollTo({ top: 0, behavior: "instant" });
            }
        }"""
    )


def code_noted(page):
    """The citizen confirms the one-time conversation code, which then disappears."""
    button = page.get_by_role("button", name="Ich habe den Code notiert")
    if button.count():
        button.click()
        expect(button).to_be_hidden()


def test_screenshots_for_readme_and_guides(new_context, shots):
    question = "Brauche ich für einen Carport eine Baugenehmigung?"
    answer = "Guten Tag! Für Carports bis 30 m² brauchen Sie in der Regel keine Baugenehmigung."

    # The citizen on a desktop starts a chat; the case worker answers.
    citizen = new_context(viewport=DESKTOP).new_page()
    start_chat(citizen, question)
    staff = new_context(viewport=DESKTOP).new_page()
    login(staff, "bauamt", "bauamt")
    staff.goto("/admin/buergerchat/")
    # The demo's admin speaks German (LANGUAGE_CODE "de").
    expect(staff.get_by_role("heading", name=re.compile("Posteingang"))).to_be_visible()
    expect(staff.get_by_role("link", name=question).first).to_be_visible()
    shoot(shots, "staff-inbox", staff)

    staff.get_by_role("link", name=question).first.click()
    staff.get_by_label("Antwort").fill(answer)
    staff.get_by_role("button", name="Senden", exact=True).click()
    citizen_log = citizen.get_by_role("log")
    expect(citizen_log).to_contain_text(answer)
    citizen.get_by_label("Nachricht", exact=True).fill("Danke! Und bei 35 m²?")
    citizen.get_by_role("button", name="Senden", exact=True).click()
    expect(staff.get_by_role("log")).to_contain_text("Danke! Und bei 35 m²?")
    expect(citizen.locator("[data-state=sent]").last).to_contain_text("gesendet")
    code_noted(citizen)
    shoot(shots, "citizen-widget", widget(citizen))
    scroll_to_top(staff)
    shoot(shots, "staff-conversation", staff)

    # The same page on a 360 px phone.
    phone = new_context(viewport=MOBILE, device_scale_factor=1, is_mobile=True, has_touch=True).new_page()
    start_chat(phone, "Muss ich eine Gartenhütte genehmigen lassen?")
    expect(phone.get_by_role("log")).to_contain_text("Muss ich eine Gartenhütte genehmigen lassen?")
    # Nothing wider than the phone's screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= MOBILE["width"]
    code_noted(phone)
    # The phone's screen with the conversation and the message field.
    phone.get_by_role("log").evaluate("log => log.scrollIntoView({ block: 'center', behavior: 'instant' })")
    shoot(shots, "citizen-widget-mobile", phone)

    # The start form with the e-mail notice, offered once an address is entered.
    notice = new_context(viewport=DESKTOP).new_page()
    notice.goto("/bauverwaltung/")
    notice.get_by_label("Anliegen").fill("Wann ist mein Bauantrag entschieden?")
    notice.get_by_label("E-Mail (optional)").fill("erika@example.org")
    optin = notice.get_by_role("checkbox", name="Benachrichtigen Sie mich per E-Mail, wenn eine Antwort da ist")
    optin.check()
    notice.locator("[data-bc-start]").first.evaluate("box => box.querySelector('[data-bc-email]').blur()")
    shoot(shots, "citizen-notice-optin", notice.locator("[data-bc-start]").first)
    # The supervisor's team board (the demo's "leitung" leads the Bauverwaltung),
    # while the case worker is still in the conversation.
    supervisor = new_context(viewport=DESKTOP).new_page()
    login(supervisor, "leitung", "leitung")
    supervisor.goto("/admin/buergerchat/team/")
    expect(supervisor.get_by_role("heading", name=re.compile("Team-Übersicht"))).to_be_visible()
    expect(supervisor.locator("tr", has=supervisor.get_by_role("rowheader", name="Berta Baumann"))).to_contain_text("anwesend")
    expect(supervisor.locator("tr[data-bc-board-conversation]").first).to_be_visible()
    shoot(shots, "staff-team-board", supervisor)

    # The editor's side, in the German admin.
    editor = new_context(viewport=DESKTOP).new_page()
    login(editor, "admin", "admin")
    editor.goto("/admin/buergerchat/departments/")
    editor.get_by_role("link", name="Bauverwaltung", exact=True).first.click()
    expect(editor.get_by_role("textbox", name=re.compile(r"^Name\*?$"))).to_have_value("Bauverwaltung")
    shoot(shots, "editor-department", editor)

    editor.goto("/admin/buergerchat/office-hours/")
    editor.get_by_role("link", name=re.compile("Bauverwaltung")).first.click()
    expect(editor.get_by_role("textbox", name=re.compile(r"^Name\*?$"))).to_have_value(re.compile("Bauverwaltung"))
    shoot(shots, "editor-office-hours", editor)

    editor.goto("/admin/pages/search/?q=Bauverwaltung")
    editor.locator("#listing-results").get_by_role("link", name="Bauverwaltung", exact=True).first.click()
    department_field = editor.locator("[data-contentpath=body] [data-contentpath=department]").first
    expect(department_field).to_be_visible()
    # The chat block from its header on (the StreamField child that holds the field).
    department_field.evaluate(
        """field => {
            const child = field.closest("[data-streamfield-child]") || field;
            child.scrollIntoView({ block: "start", behavior: "instant" });
            window.scrollBy({ top: -60, behavior: "instant" });
        }"""
    )
    shoot(shots, "editor-chat-block", editor)

    # Tags, a saved view and the bulk actions: the case worker tags the conversation,
    # saves the tag filter as a view for the department and selects rows.
    staff.goto("/admin/buergerchat/")
    staff.locator("#listing-results tbody tr", has_text=question).first.locator("input[data-bulk-action-checkbox]").check()
    staff.locator("[data-bulk-action-footer] a", has_text="Tags ändern").click()
    staff.locator("label", has_text="Bauantrag").locator("input[name=add]").check()
    staff.get_by_role("button", name="Tags speichern").click()
    expect(staff.locator(".messages")).to_contain_text("Tags bei 1 Gespräch geändert.")
    tag_id = staff.locator("input[name=tag]").evaluate_all(
        "(boxes) => boxes.filter((box) => box.closest('label')?.textContent.includes('Bauantrag')).map((box) => box.value)"
    )[0]
    staff.goto(f"/admin/buergerchat/?tag={tag_id}")
    if not staff.get_by_role("link", name="Bauanträge", exact=True).count():
        staff.locator(".bc-views__new > summary").click()
        staff.get_by_label("Name der Ansicht").fill("Bauanträge")
        staff.get_by_label("Sichtbar für").select_option(label="Kolleginnen und Kollegen der Abteilung Bauverwaltung")
        staff.get_by_role("button", name="Ansicht speichern").click()
        expect(staff.get_by_role("link", name="Bauanträge", exact=True)).to_have_attribute("aria-current", "page")
    staff.goto(f"/admin/buergerchat/?tag={tag_id}")  # without the "saved" message
    staff.locator(".bc-views__new > summary").click()
    staff.locator("#listing-results tbody input[data-bulk-action-checkbox]").first.check()
    expect(staff.locator("[data-bulk-action-footer]")).to_be_visible()
    staff.set_viewport_size({"width": DESKTOP["width"], "height": 1000})
    scroll_to_top(staff)
    shoot(shots, "staff-tags-views", staff)

    check_sizes(shots, GUIDE_PICTURES)


def check_sizes(shots, names):
    for name in names:
        width, height = png_size(shots / f"{name}.png")
        assert 300 <= width <= 1280 and 200 <= height <= 4000, (name, width, height)
        assert (shots / f"{name}.png").stat().st_size < 400_000, name


def test_screenshots_editor_setup_and_readiness(new_context, shots):
    """ "Abteilung einrichten" with its prefilled office hours, and the readiness panel."""
    editor = new_context(viewport=DESKTOP).new_page()
    login(editor, "admin", "admin")
    editor.goto("/admin/")
    panel = editor.locator("#buergerchat-readiness-section")
    expect(panel).to_contain_text("Bürgermeisteramt")
    shoot(shots, "editor-readiness", panel)

    editor.goto("/admin/buergerchat/setup/")
    editor.get_by_label("Name der Abteilung").fill("Ordnungsamt")
    hours = editor.locator("#bc-setup-hours-section")
    expect(hours.locator('[name="hours-0-opens"]')).to_have_value("08:30")
    hours.evaluate(
        """section => {
            section.scrollIntoView({ block: "start", behavior: "instant" });
            window.scrollBy({ top: -60, behavior: "instant" });
        }"""
    )
    shoot(shots, "editor-setup", editor)
    check_sizes(shots, ["editor-setup", "editor-readiness"])
