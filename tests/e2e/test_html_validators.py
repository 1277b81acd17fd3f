"""Valid HTML and a second accessibility engine, over every citizen widget state and
every staff screen (issue 12.5):

- the Nu Html Checker (npm package ``vnu-jar``, run with Java) finds no error and no
  warning in the markup the browser holds after the JavaScript ran (``page.content()``);
- pa11y (HTML_CodeSniffer runner, WCAG2AA, Debian's Chromium) finds no error in it.

The snapshots are taken by Playwright from a demo site of the module's own (it changes
the Bauverwaltung's office hours). pa11y gets each snapshot as a file, without its
scripts (the DOM already is what they made of it) and with a ``<base>`` pointing at the
server, so that the styles (and with them the contrast) are the real ones.

Everything that comes from this project's templates is checked without exceptions.
What Wagtail's own admin templates produce is filtered by :data:`WAGTAIL_VNU` and
:data:`WAGTAIL_PA11Y` (each with the Wagtail template it comes from) and listed in
docs/accessibility.md. The tools come from package.json (``make node-tools``, npm ci);
without node, Java or the installed packages the tests skip with the reason, which
BUERGERCHAT_REQUIRE_ALL=1 (CI) turns into a failure.
"""

import json
import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .conftest import CHROMIUM, ROOT, DemoServer, login
from .test_accessibility import (
    ALWAYS_OPEN,
    CREATE_RUNNING_SESSION,
    NEVER_OPEN,
    SERVER_ENV,
    configure_department,
    shell,
    start_chat,
)

pytestmark = pytest.mark.browser

NODE_MODULES = ROOT / "node_modules"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
PA11Y = NODE_MODULES / "pa11y"
PA11Y_RUNNER = Path(__file__).with_name("pa11y_run.js")

#: Nu Html Checker messages from Wagtail's own admin markup (Wagtail 8): (message
#: pattern, extract pattern, where in Wagtail it comes from). Keep in step with
#: docs/accessibility.md. Each pattern is anchored on Wagtail's own classes.
WAGTAIL_VNU = [
    (r"Element “div” not allowed as child of element “button”", r'class="w-flex w-items-center w-gap-2"',
     "wagtailadmin/shared/headers/_filters.html (filter drilldown toggles)"),
    (r"Element “div” not allowed as child of element “button”", r'class="avatar|sidebar-footer__account-toggle',
     "the sidebar's account menu (rendered by Wagtail's React sidebar, client/src/components/Sidebar)"),
    (r"Attribute “colspan” not allowed on element “tr”", r"w-keyboard-shortcuts__category",
     "wagtailadmin/shared/keyboard_shortcuts_dialog.html"),
    (r"A table row was 1 columns wide, which is less than the column count established by the first row", r"</th>",
     "wagtailadmin/shared/keyboard_shortcuts_dialog.html (the category rows)"),
    (r"The “width” attribute on the “col” element is obsolete", r"<col width=",
     "wagtailadmin/tables/table.html (column widths of the generic history view)"),
    (r"for attribute “datetime” on element “time”: A fraction of a second", r'class="w-human-readable-date__date"',
     "wagtailadmin/shared/human_readable_date.html (date:\"c\" with microseconds)"),
    (r"Attribute “type” not allowed on element “div”", r'data-controller="w-dropdown"',
     "wagtailadmin/shared/dropdown/dropdown.html (ButtonWithDropdown passes the button's type to the div)"),
]

#: pa11y (HTML_CodeSniffer) issues from Wagtail's own admin markup: (code pattern,
#: selector and context pattern, where in Wagtail it comes from). Keep in step with
#: docs/accessibility.md.
WAGTAIL_PA11Y = [
    (r"H91\.InputButton\.Name$", r"header > div > form > input: <input hidden=\"\" disabled=\"\" type=\"submit\">",
     "wagtailadmin/shared/headers/slim_header.html (hidden, disabled submit of the header's search form)"),
    (r"H91\.InputDate\.Name$", r"^#id_timestamp_[01]: ",
     "the generic history view's date filter (wagtail/admin/filters.py, wagtailadmin/widgets/range_input.html)"),
]


def _missing_tools():
    if not shutil.which("java"):
        return "Java is missing (apt-get install default-jre-headless)"
    if not shutil.which("node"):
        return "node is missing (apt-get install nodejs npm)"
    if not VNU_JAR.exists() or not PA11Y.exists():
        return f"vnu-jar/pa11y are not installed in {NODE_MODULES} (make node-tools)"
    if not os.path.exists(CHROMIUM):
        return f"No Chromium at {CHROMIUM}"
    return None


@pytest.fixture(scope="module")
def tools():
    reason = _missing_tools()
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="module")
def validator_server(browser, tools):
    server = DemoServer(SERVER_ENV).start()
    yield server
    server.stop()


class Snapshots:
    def __init__(self, directory, base_url):
        self.directory = directory
        self.base_url = base_url
        self.files = {}

    def take(self, page, name):
        # Not "networkidle": staff pages keep polling. The states are awaited by the flows.
        page.wait_for_load_state("load")
        page.wait_for_timeout(300)
        html = page.content()
        path = self.directory / f"{len(self.files):02d}-{name}.html"
        path.write_text(html, encoding="utf-8")
        self.files[path.name] = (name, page.url)
        return path


def _new_page(browser, server, contexts):
    context = browser.new_context(base_url=server.url, locale="de-DE")
    context.set_default_timeout(15_000)
    contexts.append(context)
    return context.new_page()


def citizen_states(browser, server, snaps, contexts):
    configure_department(server, **ALWAYS_OPEN)
    page = _new_page(browser, server, contexts)
    page.goto("/bauverwaltung/")
    expect(page.get_by_role("button", name="Chat starten")).to_be_visible()
    snaps.take(page, "citizen-before-start")
    page.get_by_role("button", name="Chat starten").click()
    expect(page.get_by_role("alert")).to_contain_text("Bitte korrigieren Sie")
    snaps.take(page, "citizen-start-form-errors")

    subject = f"Validierung {uuid.uuid4().hex[:6]}"
    citizen = _new_page(browser, server, contexts)
    start_chat(citizen, subject)
    snaps.take(citizen, "citizen-started-code-shown")

    staff = _new_page(browser, server, contexts)
    login(staff, "bauamt", "bauamt")
    staff.goto("/admin/buergerchat/")
    snaps.take(staff, "staff-inbox")
    staff.get_by_role("link", name=subject).click()
    expect(staff.get_by_role("log")).to_contain_text(subject)
    staff.get_by_label("Antwort").fill("Guten Tag, wir helfen gern.")
    staff.get_by_role("button", name="Senden", exact=True).click()
    expect(citizen.get_by_role("log")).to_contain_text("Guten Tag, wir helfen gern.")
    citizen.get_by_role("button", name="Ich habe den Code notiert").click()
    citizen.get_by_label("Nachricht", exact=True).fill("Danke für die schnelle Antwort!")
    citizen.get_by_role("button", name="Senden", exact=True).click()
    expect(citizen.locator("[data-state=sent]").last).to_contain_text("gesendet")
    expect(staff.get_by_role("log")).to_contain_text("Danke für die schnelle Antwort!")
    snaps.take(citizen, "citizen-chat-with-messages")
    snaps.take(staff, "staff-conversation")
    conversation_url = staff.url

    staff.locator("[data-bc-close-form] button[type=submit]").click()
    expect(citizen.locator("[data-bc-closed]")).to_be_visible()
    snaps.take(citizen, "citizen-closed")
    citizen.get_by_role("button", name="Bewertung abschicken").click()
    expect(citizen.locator("[data-bc-rating-error]")).not_to_be_empty()
    snaps.take(citizen, "citizen-closed-rating-error")
    staff.goto(conversation_url)
    snaps.take(staff, "staff-conversation-closed")

    configure_department(server, **NEVER_OPEN)
    try:
        offline = _new_page(browser, server, contexts)
        offline.goto("/bauverwaltung/")
        expect(offline.locator("[data-bc-availability]")).to_have_attribute("data-state", re.compile("offline|closed"))
        snaps.take(offline, "citizen-out-of-office-hours")
        start_chat(offline, "Eine Frage außerhalb der Sprechzeiten")
        expect(offline.locator("[data-bc-notice]")).to_be_visible()
        snaps.take(offline, "citizen-out-of-office-hours-started")
    finally:
        configure_department(server, **ALWAYS_OPEN)

    consultation = _new_page(browser, server, contexts)
    consultation.goto("/buergersprechstunde/")
    snaps.take(consultation, "citizen-consultation-no-session")
    session_id = shell(server, CREATE_RUNNING_SESSION)
    consultation.goto("/buergersprechstunde/")
    widget = consultation.locator("[data-bc-session]")
    form = widget.locator("[data-bc-start-form]")
    expect(form).to_be_visible()
    snaps.take(consultation, "citizen-consultation-running")
    form.locator("textarea[name=text]").fill("Wann wird die Hauptstraße saniert?")
    form.locator("input[name=privacy]").check()
    form.locator("[type=submit]").click()
    expect(widget.locator("[data-bc-queue]")).to_have_attribute("data-position", "1")
    snaps.take(consultation, "citizen-consultation-queue")
    return conversation_url, session_id


def staff_screens(browser, server, snaps, contexts, conversation_url, session_id):
    host = _new_page(browser, server, contexts)
    login(host, "sprechstunde", "sprechstunde")
    host.goto("/admin/buergerchat/consultations/")
    snaps.take(host, "staff-consultations-host")
    host.goto(f"/admin/buergerchat/consultations/{session_id}/")
    snaps.take(host, "staff-consultation-queue")

    admin = _new_page(browser, server, contexts)
    login(admin, "admin", "admin")
    snaps.take(admin, "staff-dashboard")
    conversation = conversation_url.split("/admin/", 1)[1]
    for name, url in [
        ("staff-inbox-admin", "/admin/buergerchat/"),
        ("staff-conversation-admin", f"/admin/{conversation}"),
        ("staff-conversation-history", f"/admin/{conversation}history/"),
        ("staff-conversation-erase", f"/admin/{conversation}erase/"),
        ("staff-archive", "/admin/buergerchat-archive/"),
        ("staff-report", "/admin/buergerchat/report/"),
        ("staff-departments", "/admin/buergerchat/departments/"),
        ("staff-office-hours", "/admin/buergerchat/office-hours/"),
        ("staff-consultation-sessions", "/admin/buergerchat/consultation-sessions/"),
        ("staff-canned-answers", "/admin/buergerchat/canned-answers/"),
        ("staff-chat-buttons", "/admin/buergerchat/chat-buttons/"),
    ]:
        response = admin.goto(url)
        assert response.ok, f"{url}: {response.status}"
        snaps.take(admin, name)


@pytest.fixture(scope="module")
def snapshots(browser, validator_server, tmp_path_factory):
    snaps = Snapshots(tmp_path_factory.mktemp("html-snapshots"), validator_server.url)
    contexts = []
    try:
        conversation_url, session_id = citizen_states(browser, validator_server, snaps, contexts)
        staff_screens(browser, validator_server, snaps, contexts, conversation_url, session_id)
    finally:
        for context in contexts:
            context.close()
    return snaps


# --------------------------------------------------------------------------- Nu Html Checker


def run_vnu(paths):
    result = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--format", "json", "--exit-zero-always", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    return json.loads(result.stderr or result.stdout)["messages"]


def _allowed(rules, *texts):
    return any(all(re.search(pattern, text or "") for pattern, text in zip(rule[:-1], texts)) for rule in rules)


def test_nu_html_checker_finds_nothing(snapshots):
    messages = run_vnu(sorted(p for p in snapshots.directory.glob("*.html") if not p.name.endswith(".pa11y.html")))
    problems = []
    for message in messages:
        kind = message.get("subType") or message.get("type")
        if message.get("type") == "info" and kind != "warning":
            continue
        if _allowed(WAGTAIL_VNU, message.get("message"), message.get("extract")):
            continue
        file = Path(message.get("url", "")).name
        name, url = snapshots.files.get(file, (file, ""))
        problems.append(
            f"{name} ({url}) line {message.get('lastLine')}: {kind}: {message.get('message')}\n"
            f"      {(message.get('extract') or '').strip()[:200]}"
        )
    assert not problems, f"{len(problems)} Nu Html Checker message(s):\n" + "\n".join(problems)


# --------------------------------------------------------------------------- pa11y


def pa11y_copy(path, base_url):
    """The snapshot without scripts, with a <base> at the server (styles, images)."""
    html = path.read_text(encoding="utf-8")
    html = re.sub(r"<script\b[^>]*>.*?</script>", "", html, flags=re.S | re.I)
    html = re.sub(r"<head([^>]*)>", lambda m: f'<head{m.group(1)}><base href="{base_url}/">', html, count=1)
    target = path.with_suffix(".pa11y.html")
    target.write_text(html, encoding="utf-8")
    return target


def run_pa11y(paths):
    env = {**os.environ, "PUPPETEER_SKIP_DOWNLOAD": "1", "BUERGERCHAT_CHROMIUM": CHROMIUM}
    result = subprocess.run(
        ["node", str(PA11Y_RUNNER), *map(str, paths)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, f"pa11y failed: {result.stderr[-3000:]}"
    return json.loads(result.stdout)


def test_pa11y_htmlcs_wcag2aa_finds_nothing(snapshots):
    originals = sorted(p for p in snapshots.directory.glob("*.html") if not p.name.endswith(".pa11y.html"))
    copies = {pa11y_copy(path, snapshots.base_url): path for path in originals}
    results = run_pa11y(list(copies))
    problems = []
    for file, issues in results.items():
        name, url = snapshots.files[copies[Path(file)].name]
        for issue in issues:
            if _allowed(WAGTAIL_PA11Y, issue.get("code"), f"{issue.get('selector')}: {issue.get('context')}"):
                continue
            problems.append(
                f"{name} ({url}): {issue.get('type')} {issue.get('code')}: {issue.get('message')}\n"
                f"      {issue.get('selector')}: {(issue.get('context') or '')[:200]}"
            )
    assert not problems, f"{len(problems)} pa11y issue(s):\n" + "\n".join(problems)
