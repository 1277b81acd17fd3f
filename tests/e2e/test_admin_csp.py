"""In a real browser, under the demo's Content Security Policy (demo_site/csp.py):
every Bürgerchat admin screen and form works, and the public site stays strict.

Each walk opens one screen as the demo's administrator and uses each of its add-row
buttons, choosers and date pickers once. A walk fails on any
``securitypolicyviolation`` event, console error or page error (``Watched``).

New entries in the Bürgerchat menu need a walk here:
``test_every_buergerchat_menu_entry_has_a_walk`` compares the menu with
``WALKED_MENU_PATHS``.
"""

import inspect
import json
import re
import urllib.request

import pytest
from playwright.sync_api import expect

from .conftest import login
from .test_security_browser import Watched, start_chat

pytestmark = pytest.mark.browser

#: name -> (walk function, menu paths the walk opens)
WALKS = {}


def walk(name, *menu_paths):
    def register(function):
        WALKS[name] = (function, menu_paths)
        return function

    return register


def csp_directives(response):
    policy = response.headers["content-security-policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def assert_strict(response):
    """The response carries the site's strict policy (no inline scripts or styles)."""
    directives = csp_directives(response)
    assert directives["script-src"] == ["'self'"], directives
    for name, sources in directives.items():
        assert "'unsafe-inline'" not in sources, (name, response.url)
        assert "'unsafe-eval'" not in sources, (name, response.url)


def open_filter(page, label):
    """Open the listing's filter drill-down and the filter ``label``."""
    page.get_by_role("button", name="Filter anzeigen").click()
    page.locator("#filters-drilldown").get_by_role("button", name=label).click()


def use_date_picker(page, field):
    """Focus a Wagtail date field: its picker opens (it starts from an inline script)."""
    field.click()
    picker = page.locator(".xdsoft_datetimepicker:visible")
    expect(picker).to_have_count(1)
    picker.locator(".xdsoft_date:not(.xdsoft_disabled)").first.click()
    expect(field).not_to_have_value("")
    page.keyboard.press("Escape")


def use_chooser(page, chooser_id, shows=None):
    """Open a chooser modal from the widget ``chooser_id`` (it lists ``shows``) and
    close it again."""
    chooser = page.locator(f"#{chooser_id}")
    if "blank" not in (chooser.get_attribute("class") or ""):
        # Something is chosen: "choose another" is in the widget's actions menu.
        chooser.locator(".chosen .w-dropdown__toggle").click()
    chooser.locator("[data-chooser-action-choose]:visible").first.click()
    body = page.locator(".modal-body:visible")
    expect(body).to_have_count(1)
    expect(body).not_to_be_empty()
    if shows:
        expect(body).to_contain_text(shows)
    page.locator(".modal:visible button[data-dismiss=modal], .modal:visible button.close").first.click()
    expect(page.locator(".modal-body:visible")).to_have_count(0)


def add_inline_row(page, prefix):
    """Click an InlinePanel's add button: one more child form (started by an inline script)."""
    children = page.locator(f"#id_{prefix}-FORMS > [data-inline-panel-child]:not(.deleted)")
    before = children.count()
    page.locator(f"#id_{prefix}-ADD").click()
    expect(children).to_have_count(before + 1)
    return children.last


@walk("dashboard")
def walk_dashboard(page):
    page.goto("/admin/")
    expect(page.locator("main")).to_be_visible()


@walk("inbox", "/admin/buergerchat/")
def walk_inbox(page):
    response = page.goto("/admin/buergerchat/")
    assert_strict(response)
    expect(page.locator("main h1, main h2").first).to_be_visible()


@walk("conversation")
def walk_conversation(page, new_context):
    citizen = Watched(new_context())
    start_chat(citizen.page, "Frage aus dem CSP-Rundgang")
    page.goto("/admin/buergerchat/")
    with page.expect_response(re.compile(r"/admin/buergerchat/conversations/\d+/$")) as opened:
        page.get_by_role("link", name="Frage aus dem CSP-Rundgang").first.click()
    assert_strict(opened.value)
    expect(page.get_by_role("log")).to_contain_text("Frage aus dem CSP-Rundgang")
    page.get_by_label("Antwort").fill("Antwort aus dem CSP-Rundgang")
    page.get_by_role("button", name="Senden", exact=True).click()
    expect(citizen.page.get_by_role("log")).to_contain_text("Antwort aus dem CSP-Rundgang")
    # The history has labelled native date inputs: strict as well.
    with page.expect_response(re.compile(r"/history/")) as history:
        page.locator("[data-bc-action=history]").click()
    assert_strict(history.value)
    expect(page.locator("main table tbody tr").first).to_be_visible()
    assert citizen.problems() == []


@walk("live consultations", "/admin/buergerchat/consultations/")
def walk_consultations_host(page):
    assert_strict(page.goto("/admin/buergerchat/consultations/"))
    expect(page.locator("main")).to_contain_text("Live-Sprechstunde leiten")


def filter_by_date(page, path, filter_label, field_id):
    """Open a date filter of a listing and use its date picker."""
    page.goto(path)
    open_filter(page, filter_label)
    use_date_picker(page, page.locator(f"#{field_id}"))


@walk("archive", "/admin/buergerchat-archive/")
def walk_archive(page):
    # The archive's date filters are the browser's own labelled date inputs (no script).
    for label, name in [
        ("Archiviert", "created_at_from"),
        ("Archiviert", "created_at_to"),
        ("Gespräch begonnen", "conversation_started_at_from"),
        ("Gespräch begonnen", "conversation_started_at_to"),
    ]:
        page.goto("/admin/buergerchat-archive/")
        open_filter(page, label)
        field = page.locator(f"input[name={name}]")
        expect(field).to_have_attribute("type", "date")
        field.fill("2026-12-01")
        expect(field).to_have_value("2026-12-01")


@walk("report", "/admin/buergerchat/report/")
def walk_report(page):
    # The report's period is two labelled native date inputs (no script), as in the archive.
    for name in ("period_from", "period_to"):
        page.goto("/admin/buergerchat/report/")
        open_filter(page, "Zeitraum")
        field = page.locator(f"input[name={name}]")
        expect(field).to_have_attribute("type", "date")
        field.fill("2026-12-01")
        expect(field).to_have_value("2026-12-01")


@walk("departments", "/admin/buergerchat/departments/")
def walk_departments(page):
    page.goto("/admin/buergerchat/departments/")
    page.get_by_role("link", name="Bauverwaltung").first.click()
    expect(page.locator("#id_name")).to_have_value("Bauverwaltung")
    page.goto("/admin/buergerchat/departments/add/")
    use_chooser(page, "id_office_hours-chooser", shows="Live-Chat Bauverwaltung")


@walk("office hours", "/admin/buergerchat/office-hours/")
def walk_office_hours(page):
    page.goto("/admin/buergerchat/office-hours/")
    page.get_by_role("link", name=re.compile("Live-Chat Bauverwaltung")).first.click()
    expect(page.locator("#id_ranges-FORMS > [data-inline-panel-child]")).to_have_count(2)
    page.goto("/admin/buergerchat/office-hours/add/")
    add_inline_row(page, "ranges")
    exception = add_inline_row(page, "exceptions")
    use_date_picker(page, exception.locator("input[name$=start_date]"))
    time_field = exception.locator("input[name$=opens]")
    time_field.click()
    expect(page.locator(".xdsoft_datetimepicker:visible")).to_have_count(1)
    page.keyboard.press("Escape")


@walk("consultation sessions", "/admin/buergerchat/consultation-sessions/")
def walk_consultation_sessions(page):
    page.goto("/admin/buergerchat/consultation-sessions/")
    page.get_by_role("link", name="Live-Chat mit dem Oberbürgermeister").first.click()
    expect(page.locator("#id_title")).to_have_value("Live-Chat mit dem Oberbürgermeister")
    page.goto("/admin/buergerchat/consultation-sessions/add/")
    starts = page.locator("#id_starts_at")
    starts.click()
    expect(page.locator(".xdsoft_datetimepicker:visible")).to_have_count(1)
    page.keyboard.press("Escape")
    add_inline_row(page, "answers")


@walk("canned answers", "/admin/buergerchat/canned-answers/")
def walk_canned_answers(page):
    page.goto("/admin/buergerchat/canned-answers/")
    page.get_by_role("link", name="Begrüßung").first.click()
    expect(page.locator("#id_title")).to_have_value("Begrüßung")
    page.goto("/admin/buergerchat/canned-answers/add/")
    expect(page.locator("#id_text")).to_be_visible()


@walk("chat buttons", "/admin/buergerchat/chat-buttons/")
def walk_chat_buttons(page):
    page.goto("/admin/buergerchat/chat-buttons/")
    page.get_by_role("link", name="Fragen? Zum Chat").first.click()
    expect(page.locator("#id_label")).to_have_value("Fragen? Zum Chat")
    page.goto("/admin/buergerchat/chat-buttons/add/")
    use_chooser(page, "id_root_page-chooser")
    use_chooser(page, "id_department-chooser")


@walk("set up a department", "/admin/buergerchat/setup/")
def walk_setup(page):
    page.goto("/admin/buergerchat/setup/")
    expect(page.get_by_label("Name der Abteilung")).to_be_visible()
    rows = page.locator("[data-bc-hours-target=rows] > tr")
    before = rows.count()
    page.locator(".bc-hours__add").click()
    expect(rows).to_have_count(before + 1)


@walk("team board", "/admin/buergerchat/team/")
def walk_team_board(page):
    page.goto("/admin/buergerchat/team/")
    expect(page.get_by_role("heading", name=re.compile("Team-Übersicht"))).to_be_visible()


@walk("conversation tags", "/admin/buergerchat/tags/")
def walk_tags(page):
    page.goto("/admin/buergerchat/tags/")
    page.goto("/admin/buergerchat/tags/add/")
    expect(page.locator("#id_name")).to_be_visible()
    use_chooser(page, "id_department-chooser")


SITE_SETTINGS = "/admin/settings/buergerchat/buergerchatsitesettings/"


@walk("site settings", SITE_SETTINGS)
def walk_site_settings(page):
    page.goto(SITE_SETTINGS)
    use_chooser(page, "id_privacy_page-chooser")
    use_chooser(page, "id_logo-chooser")


@walk("page editor")
def walk_page_editor(page):
    page.goto("/admin/pages/search/?q=Bauverwaltung")
    page.locator("main").get_by_role("link", name="Bauverwaltung", exact=True).first.click()
    expect(page.locator("#id_title")).to_have_value("Bauverwaltung")
    departments = page.locator("[id$=-value-department-chooser]")
    before = departments.count()
    page.locator("button.c-sf-add-button").last.click()
    page.get_by_role("option", name="Bürgerchat").first.click()
    expect(departments).to_have_count(before + 1)
    chooser_id = departments.last.get_attribute("id")
    use_chooser(page, chooser_id, shows="Bauverwaltung")
    privacy_id = chooser_id.replace("-department-chooser", "-privacy_page-chooser")
    use_chooser(page, privacy_id, shows="Stadt Musterstadt")


#: The Bürgerchat menu's entries (and this app's other menu entries) that a walk opens.
WALKED_MENU_PATHS = frozenset(path for _, paths in WALKS.values() for path in paths)


@pytest.fixture(scope="module")
def admin_state(browser, demo_server):
    context = browser.new_context(base_url=demo_server.url, locale="de-DE")
    page = context.new_page()
    login(page, "admin", "admin")
    state = context.storage_state()
    context.close()
    return state


@pytest.mark.parametrize("name", list(WALKS))
def test_admin_screen_works_under_csp(name, new_context, admin_state):
    function, menu_paths = WALKS[name]
    admin = Watched(new_context(storage_state=admin_state))
    visited = []
    admin.page.on("request", lambda request: visited.append(request.url) if request.is_navigation_request() else None)
    if "new_context" in inspect.signature(function).parameters:
        function(admin.page, new_context)
    else:
        function(admin.page)
    admin.page.wait_for_timeout(300)
    assert admin.problems() == []
    visited_paths = {re.sub(r"^https?://[^/]+", "", url).split("?")[0] for url in visited}
    assert set(menu_paths) <= visited_paths


def _menu_urls(sidebar_props):
    """The Bürgerchat submenu's URLs and every other menu URL of this app."""
    urls = []

    def items(node):
        if isinstance(node, dict):
            if node.get("_type", "").startswith("wagtail.sidebar.") and node.get("_args"):
                yield node
            for value in node.values():
                yield from items(value)
        elif isinstance(node, list):
            for value in node:
                yield from items(value)

    for item in items(sidebar_props):
        options = item["_args"][0]
        if isinstance(options, dict) and options.get("url"):
            urls.append(options["url"])
    buergerchat = set()
    for item in items(sidebar_props):
        if item["_type"] == "wagtail.sidebar.SubMenuItem":
            children = {
                child["_args"][0]["url"] for child in item["_args"][1] if child["_args"][0].get("url")
            }
            if "/admin/buergerchat/" in children:
                buergerchat |= children
    return buergerchat | {url for url in urls if "buergerchat" in url}


def test_every_buergerchat_menu_entry_has_a_walk(new_context, admin_state):
    page = new_context(storage_state=admin_state).new_page()
    page.goto("/admin/")
    props = json.loads(page.locator("#wagtail-sidebar-props").text_content())
    urls = _menu_urls(props)
    assert "/admin/buergerchat/" in urls and SITE_SETTINGS in urls
    assert sorted(urls - WALKED_MENU_PATHS) == []


STRICT_PUBLIC_PATHS = [
    "/",
    "/bauverwaltung/",  # a page with the chat block
    "/buergerbuero/personalausweis/",  # a page with the chat button (launcher)
    "/buergerchat/status/1/",
    "/buergerchat/theme.css",
    "/buergerchat/api/v1/openapi.json",
]


@pytest.mark.parametrize("path", STRICT_PUBLIC_PATHS)
def test_public_pages_widget_and_api_stay_strict(demo_server, path):
    with urllib.request.urlopen(demo_server.url + path, timeout=15) as response:
        assert response.status == 200
        policy = response.headers["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert "script-src-elem" not in directives and "style-src-elem" not in directives
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy


def test_admin_relaxation_is_scoped(demo_server, new_context, admin_state):
    """Below /admin/ only inline <script>/<style> elements are allowed, never inline
    event handlers; the login page keeps the strict policy."""
    page = new_context().new_page()
    assert_strict(page.goto("/admin/login/"))
    admin = new_context(storage_state=admin_state).new_page()
    directives = csp_directives(admin.goto("/admin/buergerchat/office-hours/add/"))
    assert directives["script-src"] == ["'self'"]
    assert directives["script-src-elem"] == ["'self'", "'unsafe-inline'"]
    assert directives["script-src-attr"] == ["'none'"]
    assert not any(source.startswith("'nonce-") for sources in directives.values() for source in sources)
