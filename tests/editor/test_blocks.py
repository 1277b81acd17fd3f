"""The blocks on a page: the chat block (start form, preview mode, inactive
departments) and the consultation block (sessions, calendar links, public answers)."""

import datetime
import re
from pathlib import Path

import pytest
from django.test import Client, RequestFactory
from django.utils import timezone, translation
from django.utils.translation import gettext

import buergerchat_wagtail
from buergerchat_wagtail.editor.blocks import ChatBlock
from buergerchat_wagtail.models import ConsultationSession, Conversation, PublishedAnswer
from tests.conftest import add_content_page

pytestmark = pytest.mark.django_db

GERMAN_MO = Path(buergerchat_wagtail.__file__).parent / "locale" / "de" / "LC_MESSAGES" / "django.mo"


def german(text):
    with translation.override("de"):
        return gettext(text)


def get_page(page):
    response = Client().get(page.url)
    assert response.status_code == 200
    return response.content.decode()


def render_block(department, privacy_page=None, request=None, **value):
    block = ChatBlock()
    data = {
        "department": department.pk if department else None,
        "heading": value.get("heading", ""),
        "intro": value.get("intro", ""),
        "privacy_page": privacy_page.pk if privacy_page else None,
    }
    return block.render(block.to_python(data), context={"request": request})


def test_page_renders_german_start_form(chat_page, dept_a):
    content = get_page(chat_page)
    concern, start = german("Your concern"), german("Start chat")
    if GERMAN_MO.exists():
        # The German catalogue is compiled: the citizen sees German labels.
        assert "Anliegen" in concern
        assert start == "Chat starten"
    assert concern in content
    assert start in content
    assert 'lang="de"' in content
    assert "data-bc-start-form" in content
    assert f'action="/buergerchat/start/{dept_a.pk}/"' in content
    assert "Chat mit der Verwaltung" in content
    assert "Stellen Sie Ihre Frage." in content


def test_block_renders_in_english_when_english_is_active(dept_a, privacy_page):
    with translation.override("en"):
        html = render_block(dept_a, privacy_page, request=RequestFactory().get("/"))
    assert "Your concern" in html
    assert "Start chat" in html


def test_start_form_fields(chat_page, privacy_page):
    content = get_page(chat_page)
    form = re.search(r"<form[^>]*data-bc-start-form.*?</form>", content, re.S).group(0)
    assert 'name="text"' in form
    assert 'maxlength="4000"' in form
    assert 'name="name"' in form
    assert 'name="email"' in form
    assert 'type="checkbox"' in form and 'name="privacy"' in form
    assert f'name="privacy_page" value="{privacy_page.pk}"' in form
    # The privacy notice is linked from the checkbox label and opens in a new window.
    assert f'href="{privacy_page.url}"' in form
    assert 'target="_blank"' in form and 'rel="noopener"' in form
    # No CSRF token (it would need a cookie before consent).
    assert "csrfmiddlewaretoken" not in form
    # Labels belong to their inputs.
    for name in ("text", "name", "email", "privacy"):
        input_id = re.search(r'<(?:input|textarea)[^>]*name="%s"[^>]*id="([^"]+)"' % name, form) or re.search(
            r'<(?:input|textarea)[^>]*id="([^"]+)"[^>]*name="%s"' % name, form
        )
        assert input_id, name
        assert f'for="{input_id.group(1)}"' in form, name


def test_two_blocks_get_different_widget_ids(dept_a, dept_b, privacy_page):
    request = RequestFactory().get("/")
    first = render_block(dept_a, privacy_page, request=request)
    second = render_block(dept_b, privacy_page, request=request)
    id_first = re.search(r'id="bc-([0-9a-f]+)"', first).group(1)
    id_second = re.search(r'id="bc-([0-9a-f]+)"', second).group(1)
    assert id_first != id_second
    assert f'id="bc-{id_first}-text"' in first


def test_heading_defaults_to_department_name(dept_a, privacy_page):
    html = render_block(dept_a, privacy_page, request=RequestFactory().get("/"), heading="")
    assert re.search(r"<h2[^>]*>Bauverwaltung</h2>", html)


def test_editor_text_is_escaped(dept_a, privacy_page):
    html = render_block(
        dept_a, privacy_page, request=RequestFactory().get("/"), heading="<i>Kopf</i>", intro="<script>alert(1)</script>"
    )
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<i>Kopf</i>" not in html


def test_preview_renders_and_starts_nothing(chat_page):
    response = chat_page.make_preview_request()
    assert response.status_code == 200
    content = response.content.decode()
    assert "data-bc-preview" in content
    assert german("Preview: the chat is shown but does not start conversations here.") in content
    assert "data-bc-start-form" in content
    assert not Conversation.objects.exists()


def test_block_with_preview_request_attribute(dept_a, privacy_page):
    request = RequestFactory().get("/")
    request.is_preview = True
    html = render_block(dept_a, privacy_page, request=request)
    assert "data-bc-preview" in html
    assert not Conversation.objects.exists()
    live = render_block(dept_a, privacy_page, request=RequestFactory().get("/"))
    assert "data-bc-preview" not in live


def test_block_without_department(privacy_page):
    request = RequestFactory().get("/")
    request.is_preview = True
    with translation.override("de"):
        preview = render_block(None, privacy_page, request=request)
        live = render_block(None, privacy_page, request=RequestFactory().get("/"))
    assert german("Citizen chat: please choose a department.") in preview
    assert "<form" not in preview
    assert live.strip() == ""


def test_inactive_department_shows_notice(chat_page, dept_a):
    dept_a.is_active = False
    dept_a.save()
    content = get_page(chat_page)
    assert german("This chat is not available at the moment.") in content
    assert "data-bc-start-form" not in content
    assert german("Start chat") not in content
    assert "/buergerchat/start/" not in content


def test_active_department_shows_no_notice(chat_page):
    content = get_page(chat_page)
    assert german("This chat is not available at the moment.") not in content


# --------------------------------------------------------------------------- consultation block


@pytest.fixture
def consultation_page(site_root, privacy_page, dept_a):
    body = [("consultations", {"heading": "Bürgersprechstunde", "intro": "", "department": dept_a, "privacy_page": privacy_page, "limit": 5})]
    return add_content_page(site_root, "sprechstunde", "Sprechstunde", body)


def session(dept, start_in_minutes, minutes=60, **kwargs):
    start = timezone.now() + datetime.timedelta(minutes=start_in_minutes)
    return ConsultationSession.objects.create(
        title=kwargs.pop("title", "Sprechstunde"), host="OB", department=dept, starts_at=start,
        ends_at=start + datetime.timedelta(minutes=minutes), **kwargs
    )


def test_block_lists_sessions_with_calendar_links_and_the_next_queue(client, consultation_page, dept_a, dept_b):
    later = session(dept_a, 60 * 24, title="Nächste Woche")
    running = session(dept_a, -10, title="Läuft gerade", public_qa=True)
    session(dept_b, 60, title="Andere Abteilung")
    past = session(dept_a, -600, title="Vorbei", public_qa=True)
    PublishedAnswer.objects.create(session=past, question="Wann kommt der Radweg?", answer="Im Mai.")
    PublishedAnswer.objects.create(session=running, question="Noch nicht zeigen", answer="…")
    html = client.get(consultation_page.url).content.decode()
    assert "Läuft gerade" in html and "Nächste Woche" in html
    assert "Andere Abteilung" not in html and html.count('data-bc-session="') == 1
    assert f'data-bc-session="{running.pk}"' in html
    assert f"/buergerchat/consultations/{later.pk}.ics" in html
    assert f"/buergerchat/consultations/{running.pk}/join/" in html
    assert 'name="publish"' in html  # consent box of the public session
    assert "Wann kommt der Radweg?" in html and "Im Mai." in html
    assert "Noch nicht zeigen" not in html


def test_block_without_sessions(client, consultation_page):
    html = client.get(consultation_page.url).content.decode()
    assert "data-bc-widget" not in html
