"""Accessibility (BITV 2.0 / WCAG 2.1 AA) of the citizen widget and the staff views.

- axe-core (tests/e2e/axe.py) finds no violation of the WCAG 2.1 A/AA rules in any
  state of the chat page, the consultation block and the staff inbox/conversation.
- Announcements (live regions) reach the citizen without moving the focus.
- The idle close warns 20 seconds ahead and "continue chat" keeps the chat open.

The module runs its own demo site: it changes the Bauverwaltung's office hours and idle
time, which other modules must not see.
"""

import re
import subprocess
import sys
import uuid

import pytest
from playwright.sync_api import expect

from .axe import assert_no_axe_violations
from .conftest import ROOT, DemoServer, login

pytestmark = pytest.mark.browser

SERVER_ENV = {
    "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "BUERGERCHAT_JSON": '{"CONVERSATIONS_PER_HOUR": 10000}',
}

#: Wagtail's own admin markup that axe reports and that is not ours to change. Each entry
#: names the reason; everything of buergerchat_wagtail is checked without exceptions.
WAGTAIL_ADMIN_EXCLUDE = []


@pytest.fixture(scope="module")
def a11y_server(browser):
    server = DemoServer(SERVER_ENV).start()
    yield server
    server.stop()


@pytest.fixture
def new_page(browser, a11y_server):
    contexts = []

    def make(**kwargs):
        context = browser.new_context(base_url=a11y_server.url, locale="de-DE", **kwargs)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def shell(server, code):
    """Run Python in the demo site (manage.py shell) and return its last output line."""
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=server.env,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = result.stdout.strip().splitlines()
    return lines[-1] if lines else ""


def configure_department(server, **fields):
    """Set fields of the demo's Bauverwaltung (e.g. office hours, idle minutes)."""
    assignments = "\n".join(f"d.{name} = {value}" for name, value in fields.items())
    shell(
        server,
        "from buergerchat_wagtail.models import Department, OfficeHours\n"
        "d = Department.objects.get(slug='bauverwaltung')\n"
        f"{assignments}\n"
        "d.save()\n",
    )


ALWAYS_OPEN = {"office_hours": "None"}
NEVER_OPEN = {"office_hours": "OfficeHours.objects.get_or_create(name='Geschlossen (Test)', defaults={'holiday_state': 'BW'})[0]"}


@pytest.fixture
def always_open(a11y_server):
    configure_department(a11y_server, **ALWAYS_OPEN)
    yield
    configure_department(a11y_server, **ALWAYS_OPEN)


def start_chat(page, text):
    page.goto("/bauverwaltung/")
    page.get_by_label("Anliegen").fill(text)
    page.get_by_role("checkbox", name=re.compile("Datenschutzhinweise")).check()
    page.get_by_role("button", name="Chat starten").click()
    expect(page.get_by_label("Nachricht", exact=True)).to_be_visible()
    expect(page.locator("[data-bc-widget][data-bc-ready]")).to_have_count(1)


def staff_answer(new_page, subject, text):
    staff = new_page()
    login(staff, "bauamt", "bauamt")
    staff.goto("/admin/buergerchat/")
    staff.get_by_role("link", name=subject).click()
    expect(staff.get_by_role("log")).to_contain_text(subject)
    staff.get_by_label("Antwort").fill(text)
    staff.get_by_role("button", name="Senden", exact=True).click()
    expect(staff.get_by_role("log")).to_contain_text(text)
    return staff


def test_chat_page_closed_start_form_and_errors(new_page, always_open):
    page = new_page()
    page.goto("/bauverwaltung/")
    expect(page.get_by_role("button", name="Chat starten")).to_be_visible()
    assert_no_axe_violations(page, state="chat page, initial")

    page.get_by_role("button", name="Chat starten").click()
    expect(page.get_by_role("alert")).to_contain_text("Bitte korrigieren Sie")
    assert_no_axe_violations(page, state="start form with errors")

    page.get_by_text("Gespräch mit Ihrem Code fortsetzen").click()
    page.get_by_role("button", name="Fortsetzen").click()
    expect(page.locator("[data-bc-resume-error]")).not_to_be_empty()
    assert_no_axe_violations(page, state="resume form with error")


def test_open_chat_with_messages_and_staff_views(new_page, always_open):
    subject = f"Barrierefreiheit {uuid.uuid4().hex[:6]}"
    citizen = new_page()
    start_chat(citizen, subject)
    expect(citizen.locator("[data-bc-code]")).to_be_visible()
    assert_no_axe_violations(citizen, state="chat started, conversation code shown")

    staff = staff_answer(new_page, subject, "Guten Tag, wir helfen gern.")
    expect(citizen.get_by_role("log")).to_contain_text("Guten Tag, wir helfen gern.")
    citizen.get_by_role("button", name="Ich habe den Code notiert").click()
    citizen.get_by_label("Nachricht", exact=True).fill("Danke für die schnelle Antwort!")
    citizen.get_by_role("button", name="Senden", exact=True).click()
    expect(citizen.locator("[data-state=sent]").last).to_contain_text("gesendet")
    expect(staff.get_by_role("log")).to_contain_text("Danke für die schnelle Antwort!")
    assert_no_axe_violations(citizen, state="open chat with citizen and staff messages")
    assert_no_axe_violations(staff, context={"exclude": WAGTAIL_ADMIN_EXCLUDE} if WAGTAIL_ADMIN_EXCLUDE else None,
                             state="staff conversation view")

    staff.goto("/admin/buergerchat/")
    expect(staff.get_by_role("link", name=subject)).to_be_visible()
    assert_no_axe_violations(staff, context={"exclude": WAGTAIL_ADMIN_EXCLUDE} if WAGTAIL_ADMIN_EXCLUDE else None,
                             state="staff inbox")

    # Closed by the case worker: the citizen sees the closed state and the rating form.
    staff.get_by_role("link", name=subject).click()
    staff.locator("[data-bc-close-form] button[type=submit]").click()
    expect(citizen.locator("[data-bc-closed]")).to_be_visible()
    citizen.get_by_role("button", name="Bewertung abschicken").click()
    expect(citizen.locator("[data-bc-rating-error]")).not_to_be_empty()
    assert_no_axe_violations(citizen, state="closed chat with rating error")


def test_offline_department(new_page, a11y_server, always_open):
    configure_department(a11y_server, **NEVER_OPEN)
    page = new_page()
    page.goto("/bauverwaltung/")
    expect(page.locator("[data-bc-availability]")).to_have_attribute("data-state", re.compile("offline|closed"))
    assert_no_axe_violations(page, state="offline, start form")
    start_chat(page, "Eine Frage außerhalb der Sprechzeiten")
    expect(page.locator("[data-bc-notice]")).to_be_visible()
    assert_no_axe_violations(page, state="offline, chat started with notice")


CREATE_RUNNING_SESSION = """
import datetime
from django.utils import timezone
from buergerchat_wagtail.models import ConsultationSession, Department
now = timezone.now()
session = ConsultationSession.objects.create(
    title="Sprechstunde Barrierefreiheit", host="Oberbürgermeister Max Mustermann",
    department=Department.objects.get(slug="buergermeisteramt"),
    starts_at=now - datetime.timedelta(minutes=1), ends_at=now + datetime.timedelta(minutes=30), capacity=1)
print(session.pk)
"""


def test_consultation_block_and_queue(new_page, a11y_server):
    page = new_page()
    page.goto("/buergersprechstunde/")
    assert_no_axe_violations(page, state="consultation block, no session running")

    shell(a11y_server, CREATE_RUNNING_SESSION)
    page.goto("/buergersprechstunde/")
    widget = page.locator("[data-bc-session]")
    form = widget.locator("[data-bc-start-form]")
    expect(form).to_be_visible()
    assert_no_axe_violations(page, state="consultation block, session running")
    form.locator("textarea[name=text]").fill("Wann wird die Hauptstraße saniert?")
    form.locator("input[name=privacy]").check()
    form.locator("[type=submit]").click()
    queue = widget.locator("[data-bc-queue]")
    expect(queue).to_have_attribute("data-position", "1")
    # The position is announced (role=status) while the focus stays where it was.
    label = widget.locator("[data-bc-queue-label]")
    expect(label).to_have_attribute("role", "status")
    expect(label).not_to_be_empty()
    assert_no_axe_violations(page, state="consultation queue, waiting")


# --------------------------------------------------------------------------- keyboard only

FOCUSED = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) { return null; }
    const style = getComputedStyle(el);
    return {
        tag: el.tagName.toLowerCase(),
        type: el.type || "",
        name: el.name || "",
        text: (el.getAttribute("aria-label") || el.textContent || "").trim().slice(0, 60),
        outline: style.outlineStyle,
        outlineWidth: style.outlineWidth,
        shadow: style.boxShadow,
        key: el.id || el.outerHTML.slice(0, 120),
    };
}"""


def focused(page):
    return page.evaluate(FOCUSED)


def assert_focus_visible(page, step):
    info = focused(page)
    assert info is not None, f"{step}: nothing has the focus"
    visible_outline = info["outline"] != "none" and info["outlineWidth"] not in ("0px", "")
    assert visible_outline or info["shadow"] != "none", f"{step}: no visible focus indicator on {info}"
    return info


def tab_until(page, matches, step, limit=60, key="Tab"):
    """Press Tab until the focused element ``matches``; every stop shows its focus and
    Tab always moves on (no trap)."""
    previous = focused(page)
    for _ in range(limit):
        page.keyboard.press(key)
        if focused(page) is None:  # past the end of the page (to the browser), then around
            previous = None
            continue
        info = assert_focus_visible(page, step)
        assert previous is None or info["key"] != previous["key"], f"{step}: focus is trapped on {info}"
        if matches(info):
            return info
        previous = info
    raise AssertionError(f"{step}: not reached with {limit} × {key}")


def test_inline_widget_by_keyboard_only(new_page, always_open, tmp_path):
    from tests.files import png_bytes

    picture = tmp_path / "Foto.png"
    picture.write_bytes(png_bytes())
    page = new_page(accept_downloads=True)
    page.on("dialog", lambda dialog: dialog.accept())  # "End the chat?" is confirmed
    page.goto("/bauverwaltung/")

    tab_until(page, lambda f: f["name"] == "text", "to the start form")
    page.keyboard.type("Tastatur: Frage zum Bauantrag")
    tab_until(page, lambda f: f["name"] == "privacy", "to the privacy checkbox")
    page.keyboard.press("Space")
    tab_until(page, lambda f: f["name"] == "start", "to the submit button")
    page.keyboard.press("Enter")
    message = page.get_by_label("Nachricht", exact=True)
    expect(message).to_be_focused()
    assert_focus_visible(page, "after starting")
    expect(page.locator("[data-bc-widget][data-bc-ready]")).to_have_count(1)

    page.keyboard.type("Eine Nachricht nur mit der Tastatur")
    tab_until(page, lambda f: f["tag"] == "button" and f["text"] == "Senden", "to the send button")
    page.keyboard.press("Enter")
    expect(page.locator("[data-state=sent]").get_by_text("Eine Nachricht nur mit der Tastatur")).to_have_count(1)

    tab_until(page, lambda f: f["type"] == "file", "to the file input")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(str(picture))
    tab_until(page, lambda f: f["tag"] == "button" and "Datei senden" in f["text"], "to the upload button")
    page.keyboard.press("Enter")
    expect(page.get_by_role("log").locator("[data-bc-download-url]")).to_have_text("Foto.png")
    expect(page.locator("[data-bc-status=upload]")).to_have_text("Datei gesendet.")

    tab_until(page, lambda f: "PDF" in f["text"], "to the transcript button")
    with page.expect_download(timeout=60_000) as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename.endswith(".pdf")

    tab_until(page, lambda f: "beenden" in f["text"], "to 'end chat'")
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Chat starten")).to_be_visible()
    assert_focus_visible(page, "after ending")
    # ... and Tab still moves on to the rest of the page.
    tab_until(page, lambda f: True, "after ending, onwards")


# --------------------------------------------------------------------------- announcements


def test_announcements_reach_live_regions_while_focus_stays_in_the_textarea(new_page, always_open):
    subject = f"Ansagen {uuid.uuid4().hex[:6]}"
    citizen = new_page()
    start_chat(citizen, subject)
    message = citizen.get_by_label("Nachricht", exact=True)
    citizen.get_by_role("button", name="Ich habe den Code notiert").press("Enter")
    expect(message).to_be_focused()
    staff = staff_answer(new_page, subject, "Antwort aus dem Amt")

    log = citizen.get_by_role("log")
    expect(log).to_contain_text("Antwort aus dem Amt")
    expect(log).to_have_attribute("aria-live", "polite")
    expect(message).to_be_focused()

    # "… tippt …": the typing status (role=status), focus stays.
    staff.get_by_label("Antwort").press_sequentially("Moment", delay=40)
    typing = citizen.locator("[data-bc-typing]")
    expect(typing).to_have_attribute("role", "status")
    expect(typing).to_contain_text("schreibt")
    expect(message).to_be_focused()

    # Sent: "gesendet" in the log, the textarea keeps the focus.
    message.press_sequentially("Danke")
    message.press("Control+Enter")
    expect(log.locator("[data-state=sent]").last).to_contain_text("gesendet")
    expect(message).to_be_focused()

    # An error is an alert next to the field; focus stays in the field.
    message.press("Control+Enter")
    error = citizen.locator("[data-bc-send-error]")
    expect(error).to_have_attribute("role", "alert")
    expect(error).to_have_text("Bitte geben Sie eine Nachricht ein.")
    expect(message).to_be_focused()

    # Connection status (role=status) when the socket drops and comes back.
    status = citizen.locator("[data-bc-status=chat]")
    expect(status).to_have_attribute("role", "status")
    citizen.evaluate("document.querySelector('[data-bc-widget]').buergerchat.socket.close()")
    expect(status).to_have_text(re.compile("Verbindung"))
    expect(message).to_be_focused()
    expect(citizen.locator("[data-bc-widget][data-bc-ready]")).to_have_count(1)


# --------------------------------------------------------------------------- idle close


SHIFT_IDLE = """
import datetime
from django.db.models import F
from django.utils import timezone
from buergerchat_wagtail.models import Conversation
c = Conversation.objects.select_related("department").get(reference={reference!r})
delta = c.idle_close_at - timezone.now() - datetime.timedelta(seconds={seconds})
Conversation.objects.filter(pk=c.pk).update(idle_since=F("idle_since") - delta)
c.messages.filter(sender="staff").update(created_at=F("created_at") - delta)
print(c.status)
"""

STATUS = """
from buergerchat_wagtail.models import Conversation
print(Conversation.objects.get(reference={reference!r}).status)
"""


def test_idle_warning_extend_by_keyboard_and_close(new_page, a11y_server, always_open):
    configure_department(a11y_server, idle_close_minutes=1)
    try:
        subject = f"Leerlauf {uuid.uuid4().hex[:6]}"
        citizen = new_page()
        start_chat(citizen, subject)
        reference = citizen.locator("[data-bc-reference]").inner_text()
        staff_answer(new_page, subject, "Haben Sie noch Fragen?")
        expect(citizen.get_by_role("log")).to_contain_text("Haben Sie noch Fragen?")

        # 12 seconds left: the warning (role=alert) comes at once, with "Weiter chatten".
        shell(a11y_server, SHIFT_IDLE.format(reference=reference, seconds=12))
        citizen.reload()
        warning = citizen.locator("[data-bc-idle-text]")
        expect(warning).to_have_attribute("role", "alert")
        expect(warning).to_contain_text("Sind Sie noch da?")
        assert_no_axe_violations(citizen, state="idle warning shown")
        message = citizen.get_by_label("Nachricht", exact=True)
        message.focus()
        citizen.keyboard.press("Shift+Tab")
        expect(citizen.get_by_role("button", name="Weiter chatten")).to_be_focused()
        assert_focus_visible(citizen, "the extend button")
        citizen.keyboard.press("Enter")
        expect(citizen.locator("[data-bc-status=idle]")).to_have_text("Der Chat bleibt geöffnet.")
        expect(warning).to_be_empty()
        expect(message).to_be_focused()
        citizen.wait_for_timeout(14_000)  # past the old deadline
        assert shell(a11y_server, STATUS.format(reference=reference)) != "closed"
        expect(citizen.locator("[data-bc-closed]")).to_be_hidden()

        # Without extending: closed at the deadline, and the chat says so.
        shell(a11y_server, SHIFT_IDLE.format(reference=reference, seconds=5))
        citizen.reload()
        expect(warning).to_contain_text("Sind Sie noch da?")
        closed = citizen.locator("[data-bc-closed]")
        expect(closed).to_be_visible(timeout=30_000)
        # The thread says it was closed (and why); the box below does not repeat it.
        expect(citizen.get_by_text(re.compile("Gespräch wurde geschlossen"))).to_have_count(1)
        expect(warning).to_be_empty()
        expect(citizen.get_by_role("log")).to_contain_text("1 Minute lang keine Nachricht")
        assert shell(a11y_server, STATUS.format(reference=reference)) == "closed"
    finally:
        configure_department(a11y_server, idle_close_minutes=30)


# --------------------------------------------------------------------------- reflow and zoom


OVERFLOWING = """(width) => Array.from(document.querySelectorAll("body *"))
    .filter((el) => el.getBoundingClientRect().right > width + 0.5)
    .map((el) => el.tagName.toLowerCase() + "." + el.className + " " + Math.round(el.getBoundingClientRect().right))
    .slice(0, 15)"""


def assert_no_horizontal_scrolling(page, width):
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"horizontal scrolling ({scroll_width} px): {page.evaluate(OVERFLOWING, width)}"


def assert_reflows(page, width):
    page.goto("/bauverwaltung/")
    assert_no_horizontal_scrolling(page, width)
    start_chat(page, f"Umbruch bei {width} px")
    page.get_by_role("button", name="Ich habe den Code notiert").click()
    message = page.get_by_label("Nachricht", exact=True)
    message.fill("Eine Nachricht mit einemsehrlangenwortohneleerzeichendasumbrechenmuss" * 2)
    send = page.get_by_role("button", name="Senden", exact=True)
    send.click()
    expect(page.locator("[data-state=sent]").last).to_contain_text("gesendet")
    assert_no_horizontal_scrolling(page, width)
    for control in (message, send, page.locator("[data-bc-file]"), page.get_by_role("button", name="Datei senden"),
                    page.get_by_role("button", name=re.compile("PDF")), page.get_by_role("button", name=re.compile("beenden"))):
        control.scroll_into_view_if_needed()
        expect(control).to_be_visible()
        box = control.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, f"{control} sticks out: {box}"


def test_reflow_at_320_css_pixels(new_page, always_open):
    assert_reflows(new_page(viewport={"width": 320, "height": 640}), 320)


def test_zoom_200_percent(new_page, always_open):
    # 200 % zoom of a 1280 × 1024 window is a 640 × 512 CSS pixel viewport.
    assert_reflows(new_page(viewport={"width": 640, "height": 512}), 640)
