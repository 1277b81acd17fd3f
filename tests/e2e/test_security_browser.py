"""In a real browser: the chat works under the demo's strict Content Security Policy,
and script payloads in every writable field are shown as text, never run."""

import json
import re

import pytest
from playwright.sync_api import expect

from .conftest import login

pytestmark = pytest.mark.browser

# Runs before any page script: records CSP violations and script errors.
WATCH_SCRIPT = """
window.__bcViolations = [];
window.__bcErrors = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__bcViolations.push(e.violatedDirective + " " + e.blockedURI + " " + (e.sourceFile || "") + ":" + e.lineNumber);
});
window.addEventListener("error", function (e) { window.__bcErrors.push(String(e.message)); });
"""

XSS = '<img src=x onerror="window.__bcXss=1"><script>window.__bcXss=1</script>"\'&'


class Watched:
    """A page whose CSP violations, console errors and page errors are collected."""

    def __init__(self, context):
        context.add_init_script(WATCH_SCRIPT)
        self.page = context.new_page()
        self.console = []
        self.page.on(
            "console",
            lambda msg: self.console.append(f"{msg.text} ({msg.location.get('url')})") if msg.type == "error" else None,
        )
        self.page.on("pageerror", lambda exc: self.console.append(str(exc)))

    def problems(self):
        violations = self.page.evaluate("window.__bcViolations")
        errors = self.page.evaluate("window.__bcErrors")
        return violations + errors + self.console


def start_chat(page, text, name=""):
    page.goto("/bauverwaltung/")
    page.get_by_label("Anliegen").fill(text)
    if name:
        page.get_by_label("Name (optional)").fill(name)
    page.get_by_role("checkbox", name=re.compile("Datenschutzhinweise")).check()
    page.get_by_role("button", name="Chat starten").click()
    expect(page.get_by_label("Nachricht", exact=True)).to_be_visible()


def test_csp_header_is_strict(demo_server, new_context):
    page = new_context().new_page()
    response = page.goto("/bauverwaltung/")
    policy = response.headers["content-security-policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert directives["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert directives["object-src"] == ["'none'"]


def test_chat_flow_without_csp_violations(new_context):
    citizen = Watched(new_context())
    start_chat(citizen.page, "Frage unter strenger CSP")
    citizen.page.get_by_label("Nachricht", exact=True).fill("Zweite Nachricht")
    citizen.page.get_by_role("button", name="Senden", exact=True).click()
    expect(citizen.page.locator("[data-state=sent]").get_by_text("Zweite Nachricht")).to_have_count(1)

    staff = Watched(new_context())
    login(staff.page, "bauamt", "bauamt")
    staff.page.goto("/admin/buergerchat/")
    staff.page.get_by_role("link", name="Frage unter strenger CSP").click()
    expect(staff.page.get_by_role("log")).to_contain_text("Zweite Nachricht")
    staff.page.get_by_label("Antwort").fill("Antwort unter CSP")
    staff.page.get_by_role("button", name="Senden", exact=True).click()
    expect(citizen.page.get_by_role("log")).to_contain_text("Antwort unter CSP")

    # The citizen downloads their data (Art. 15) from the widget.
    with citizen.page.expect_download() as download_info:
        citizen.page.locator("[data-bc-export]").click()
    document = json.loads(open(download_info.value.path(), encoding="utf-8").read())
    assert [m["body"] for m in document["messages"]][-1] == "Antwort unter CSP"
    assert document["conversation"]["privacy_notice_version"].startswith("page ")

    # Staff export, history and close in the admin.
    with staff.page.expect_download():
        staff.page.locator("[data-bc-action=export]").click()
    # Closing is the one close control (the workflow's status change, live over
    # the socket); the reload opens the closed conversation a second time.
    staff.page.locator("[data-bc-close-form] button").click()
    expect(staff.page.locator(".bc-conversation__meta")).to_contain_text("geschlossen")
    staff.page.reload()
    expect(staff.page.locator(".bc-conversation__meta")).to_contain_text("geschlossen")
    staff.page.locator("[data-bc-action=history]").click()
    expect(staff.page.locator("main")).to_contain_text("Berta Baumann")
    # opened twice (before and after closing), reply, citizen download, staff export, close
    expect(staff.page.locator("main table tbody tr")).to_have_count(6)

    assert citizen.problems() == []
    assert staff.problems() == []


def test_citizen_deletes_conversation_from_widget(new_context):
    citizen = Watched(new_context())
    start_chat(citizen.page, "Bitte wieder löschen")
    citizen.page.once("dialog", lambda dialog: dialog.accept())
    citizen.page.locator("[data-bc-erase]").click()
    # English until the translation merge: "Your conversation has been deleted."
    expect(citizen.page.locator("[data-bc-alert]")).not_to_be_empty()
    expect(citizen.page.get_by_label("Anliegen")).to_be_visible()
    assert citizen.page.evaluate("window.localStorage.length") == 0

    staff = new_context().new_page()
    login(staff, "bauamt", "bauamt")
    staff.goto("/admin/buergerchat/")
    expect(staff.get_by_text("Bitte wieder löschen")).to_have_count(0)
    assert citizen.problems() == []


def test_script_payloads_are_shown_as_text_everywhere(new_context):
    citizen = Watched(new_context())
    start_chat(citizen.page, "XSS " + XSS, name="Name " + XSS)
    citizen.page.get_by_label("Nachricht", exact=True).fill("Body " + XSS)
    citizen.page.get_by_role("button", name="Senden", exact=True).click()
    log = citizen.page.get_by_role("log")
    expect(log).to_contain_text("Body " + XSS)
    expect(citizen.page.locator("[data-bc-subject]")).to_have_text(re.compile(re.escape("XSS <img")))

    staff = Watched(new_context())
    login(staff.page, "bauamt", "bauamt")
    staff.page.goto("/admin/buergerchat/")
    expect(staff.page.locator("#listing-results")).to_contain_text("XSS " + XSS[:20])
    staff.page.get_by_role("link", name=re.compile("^XSS")).first.click()
    staff_log = staff.page.get_by_role("log")
    expect(staff_log).to_contain_text("Body " + XSS)
    expect(staff.page.locator(".bc-conversation__meta")).to_contain_text("Name " + XSS)
    staff.page.get_by_label("Antwort").fill("Staff " + XSS)
    staff.page.get_by_role("button", name="Senden", exact=True).click()
    expect(log).to_contain_text("Staff " + XSS)
    expect(staff_log).to_contain_text("Staff " + XSS)

    # Reloaded pages render the stored payloads server-side: still text.
    citizen.page.reload()
    expect(citizen.page.get_by_role("log")).to_contain_text("Staff " + XSS)
    staff.page.reload()
    expect(staff.page.get_by_role("log")).to_contain_text("Staff " + XSS)

    for watched in (citizen, staff):
        assert watched.page.evaluate("window.__bcXss") is None
        assert watched.page.locator("img[src=x]").count() == 0
    assert citizen.problems() == []
    assert staff.problems() == []
