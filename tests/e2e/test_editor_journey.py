"""Issue 12, "Done when": a brand-new editor sets up a department in one step under
the demo's real settings (including its Content-Security-Policy); a citizen chats on
the new page and a newly added case worker answers live.

Every page of every browser context reports ``securitypolicyviolation`` events,
script errors and console errors to the test (through an exposed function, so
nothing is lost when a page navigates away); any one of them fails the test.
"""

import re
import secrets

import pytest
from playwright.sync_api import expect

from .conftest import login

pytestmark = pytest.mark.browser

REPORT_SCRIPT = """
document.addEventListener("securitypolicyviolation", function (e) {
  window.__bcReport("CSP " + e.violatedDirective + " " + e.blockedURI + " " + (e.sourceFile || "") + ":" + e.lineNumber
    + " on " + location.pathname);
});
window.addEventListener("error", function (e) { window.__bcReport("error " + e.message + " on " + location.pathname); });
"""

#: The editor's rights: set up departments (department, office hours, group), put
#: existing users into groups, edit the snippets afterwards, and add and publish
#: pages below the home page. Not a superuser.
MAKE_USERS = """
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from wagtail.models import GroupPagePermission, Site

User = get_user_model()
editors, _ = Group.objects.get_or_create(name="Redaktion {suffix}")
for codename in ("access_admin", "add_department", "change_department", "add_officehours", "change_officehours",
                 "add_group", "change_group", "change_user"):
    editors.permissions.add(Permission.objects.get(codename=codename))
home = Site.objects.get(is_default_site=True).root_page
for codename in ("add_page", "change_page", "publish_page"):
    GroupPagePermission.objects.get_or_create(group=editors, page=home, permission=Permission.objects.get(codename=codename))
editor = User.objects.create_user(username="redaktion-{suffix}", password="{password}", first_name="Rita", last_name="Redaktion")
editor.groups.add(editors)
User.objects.create_user(username="neu-{suffix}", password="{password}", first_name="Nora", last_name="Neumann")
"""


class Reported:
    """Collects what every page of a browser context reports."""

    def __init__(self, context, who):
        self.problems = []
        context.expose_function("__bcReport", lambda text: self.problems.append(f"{who}: {text}"))
        context.add_init_script(REPORT_SCRIPT)
        self.page = context.new_page()
        self.page.on(
            "console",
            lambda msg: self.problems.append(f"{who}: console {msg.text} ({msg.location.get('url')})")
            if msg.type == "error"
            else None,
        )
        self.page.on("pageerror", lambda exc: self.problems.append(f"{who}: pageerror {exc}"))


def test_new_editor_sets_up_a_department_and_citizens_chat_with_it(demo_server, new_context):
    suffix = secrets.token_hex(3)
    password = "pw-" + secrets.token_hex(8)
    demo_server.site.manage("shell", "-c", MAKE_USERS.format(suffix=suffix, password=password))
    name = f"Ordnungsamt {suffix}"

    # The editor logs in and finds "Abteilung einrichten" in the Bürgerchat menu.
    editor = Reported(new_context(), "editor")
    page = editor.page
    login(page, f"redaktion-{suffix}", password)
    expect(page.locator("#buergerchat-readiness-section")).to_be_visible()
    page.get_by_role("button", name="Bürgerchat").click()
    page.get_by_role("list", name="Bürgerchat").get_by_role("link", name="Abteilung einrichten").click()
    expect(page.locator("#header-title")).to_have_text("Abteilung einrichten")

    # The form starts with the template Mo–Fr 8:30–12:00 and Thursday 14:00–18:00.
    expect(page.locator('[name="hours-0-opens"]')).to_have_value("08:30")
    expect(page.locator('[name="hours-1-opens"]')).to_have_value("14:00")
    page.get_by_label("Name der Abteilung").fill(name)
    page.get_by_label("Begrüßung").fill("Guten Tag! Das Ordnungsamt hilft Ihnen gern.")
    # Hours that include now: every day 00:00–23:59 (German time); the Thursday row goes.
    page.locator('[name="hours-0-first_day"]').select_option("0")
    page.locator('[name="hours-0-last_day"]').select_option("6")
    page.locator('[name="hours-0-opens"]').fill("00:00")
    page.locator('[name="hours-0-closes"]').fill("23:59")
    page.get_by_role("button", name=re.compile("^Entfernen.*Zeile 2")).click()
    expect(page.locator('[name="hours-1-opens"]')).to_be_hidden()
    page.get_by_role("button", name="Zeile hinzufügen").click()
    expect(page.locator('[name="hours-TOTAL_FORMS"]')).to_have_value("4")
    # A newly created user becomes the department's case worker.
    page.get_by_label(f"Nora Neumann (neu-{suffix})").check()
    page.get_by_label("Anlegen und veröffentlichen").check()
    page.get_by_label("Seitentitel").fill(name)
    page.get_by_label("Übergeordnete Seite").select_option(label="Stadt Musterstadt")
    page.get_by_role("button", name="Abteilung einrichten", exact=True).click()

    expect(page.get_by_text(f"Die Abteilung „{name}“ ist eingerichtet.")).to_be_visible()
    expect(page.get_by_text("Bereit: Bürgerinnen und Bürger können mit dieser Abteilung chatten.")).to_be_visible()
    expect(page.get_by_role("link", name=name).first).to_be_visible()
    page.goto("/admin/")
    expect(page.locator("#buergerchat-readiness-section")).to_contain_text(name)

    # A citizen opens the new page and starts a chat.
    citizen = Reported(new_context(), "citizen")
    citizen.page.goto(f"/ordnungsamt-{suffix}/")
    expect(citizen.page.get_by_text("Jetzt erreichbar").first).to_be_visible()
    citizen.page.get_by_label("Anliegen").fill("Darf ich am Samstag einen Flohmarkt vor dem Haus veranstalten?")
    citizen.page.get_by_role("checkbox", name=re.compile("Datenschutzhinweise")).check()
    citizen.page.get_by_role("button", name="Chat starten").click()
    log = citizen.page.get_by_role("log")
    expect(log).to_contain_text("Flohmarkt")

    # The new case worker logs in and answers live.
    worker = Reported(new_context(), "case worker")
    login(worker.page, f"neu-{suffix}", password)
    worker.page.goto("/admin/buergerchat/")
    worker.page.get_by_role("link", name="Darf ich am Samstag einen Flohmarkt vor dem Haus veranstalten?").click()
    expect(worker.page.get_by_role("log")).to_contain_text("Flohmarkt")
    worker.page.get_by_label("Antwort").fill("Dafür brauchen Sie eine Sondernutzungserlaubnis.")
    worker.page.get_by_role("button", name="Senden", exact=True).click()
    expect(log).to_contain_text("Dafür brauchen Sie eine Sondernutzungserlaubnis.")

    problems = editor.problems + citizen.problems + worker.problems
    assert problems == []
