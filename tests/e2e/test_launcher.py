"""The chat button for a page section (demo: below /buergerbuero/), with the keyboard
only: open, choose a topic, start, write, close; focus handling, theme and reflow."""

import re

import pytest
from playwright.sync_api import expect

from .axe import assert_no_axe_violations

pytestmark = pytest.mark.browser

SECTION_PAGE = "/buergerbuero/personalausweis/"
BRAND_RGB = "rgb(138, 21, 56)"  # demo brand colour #8a1538 (load_demo)


def active(page, selector):
    return page.evaluate("(s) => !!document.activeElement && document.activeElement.matches(s)", selector)


def focus_in_panel(page):
    return page.evaluate(
        "() => document.querySelector('[data-bc-launcher-panel]').contains(document.activeElement)"
    )


def tab_to(page, selector, limit=40):
    for _ in range(limit):
        if active(page, selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def test_keyboard_only_topic_chat_in_the_launcher(new_context):
    page = new_context().new_page()
    page.goto(SECTION_PAGE)
    button = page.locator("[data-bc-launcher-button]")
    expect(button).to_have_attribute("aria-expanded", "false")
    panel = page.locator("[data-bc-launcher-panel]")
    expect(panel).to_be_hidden()
    assert button.get_attribute("aria-controls") == panel.get_attribute("id")
    assert_no_axe_violations(page, state="chat button, closed")

    # Tab to the chat button; Enter opens the panel and moves the focus into it.
    tab_to(page, "[data-bc-launcher-button]")
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "the focused chat button has no visible focus outline"
    page.keyboard.press("Enter")
    expect(panel).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "true")
    assert focus_in_panel(page)
    # The first field of the start form: the topic.
    assert active(page, "select[name=topic]")

    assert_no_axe_violations(page, state="chat button, panel open with the topic form")

    # Choose "Reisepass" by typing, fill the form, start the chat.
    page.keyboard.type("Reisepass")
    expect(page.locator("[data-bc-launcher-panel] select[name=topic]")).to_have_value("1")
    tab_to(page, "[data-bc-launcher-panel] textarea[name=text]")
    page.keyboard.type("Mein Reisepass läuft im Mai ab.")
    tab_to(page, "[data-bc-launcher-panel] input[name=privacy]")
    page.keyboard.press("Space")
    tab_to(page, "[data-bc-launcher-panel] [type=submit][name=start]")
    page.keyboard.press("Enter")

    message_box = panel.get_by_label("Nachricht", exact=True)
    expect(message_box).to_be_visible()
    expect(message_box).to_be_focused()
    # Routed by the topic: the subject starts with the topic's subject.
    expect(panel.locator("[data-bc-subject]")).to_have_text(re.compile(r"^Reisepass: Mein Reisepass"))
    page.keyboard.type("Brauche ich einen Termin?")
    tab_to(page, "[data-bc-launcher-panel] [data-bc-send-form] [type=submit]")
    page.keyboard.press("Enter")
    expect(panel.get_by_role("log")).to_contain_text("Brauche ich einen Termin?")
    assert_no_axe_violations(page, state="chat button, panel with a running chat")

    # The theme: the send button is drawn in the site's brand colour.
    send = panel.get_by_role("button", name="Senden", exact=True)
    assert send.evaluate("(b) => getComputedStyle(b).backgroundColor") == BRAND_RGB
    assert button.evaluate("(b) => getComputedStyle(b).backgroundColor") == BRAND_RGB

    # Escape closes the panel and returns the focus to the chat button.
    message_box.focus()
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(button).to_be_focused()

    # Reopened (the running chat is still there), the focus goes to the message box;
    # the close button closes it again.
    page.keyboard.press("Enter")
    expect(message_box).to_be_focused()
    page.locator("[data-bc-launcher-close]").focus()
    page.keyboard.press("Enter")
    expect(panel).to_be_hidden()
    expect(button).to_be_focused()


def test_no_keyboard_trap_in_the_open_panel(new_context):
    page = new_context().new_page()
    page.goto(SECTION_PAGE)
    tab_to(page, "[data-bc-launcher-button]")
    page.keyboard.press("Enter")
    assert focus_in_panel(page)
    for _ in range(60):
        page.keyboard.press("Tab")
        if not focus_in_panel(page):
            break
    else:
        raise AssertionError("Tab never left the chat panel")
    # Shift+Tab comes back into it.
    page.keyboard.press("Shift+Tab")
    assert focus_in_panel(page) or active(page, "[data-bc-launcher-button]")


def test_panel_reflows_at_320_px(new_context):
    page = new_context(viewport={"width": 320, "height": 640}).new_page()
    page.goto(SECTION_PAGE)
    page.locator("[data-bc-launcher-button]").click()
    panel = page.locator("[data-bc-launcher-panel]")
    expect(panel).to_be_visible()
    box = panel.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 320
    assert box["width"] >= 310, "the panel takes the full width on narrow screens"
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 320


def test_page_with_its_own_chat_shows_no_chat_button(new_context):
    page = new_context().new_page()
    page.goto("/buergerbuero/")
    expect(page.locator("[data-bc-widget]")).to_have_count(1)
    expect(page.locator("[data-bc-launcher-button]")).to_have_count(0)
    # The inline block there offers its topics.
    expect(page.get_by_label(re.compile("Ihr Anliegen betrifft"))).to_be_visible()
