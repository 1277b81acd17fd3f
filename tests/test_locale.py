"""Language follows the browser (issue 12.3): with ``LocaleMiddleware`` in the demo
settings, an ``en`` browser gets English pages, widget strings and PDF transcripts;
``de`` and every other language get German (``LANGUAGE_CODE``)."""

import html
import re

import pytest
from django.conf import settings
from django.test import Client

from buergerchat_wagtail.files import transcripts
from buergerchat_wagtail.models import Transcript, TranscriptKind

pytestmark = pytest.mark.django_db

API = "/buergerchat/api/v1"
SECRET = "HTTP_X_BUERGERCHAT_SECRET"


def page_in(language_header, url):
    headers = {"HTTP_ACCEPT_LANGUAGE": language_header} if language_header is not None else {}
    response = Client().get(url, **headers)
    assert response.status_code == 200
    return response, response.content.decode()


def widget_strings(text):
    """The widget's configuration: the ``data-`` attributes of ``[data-bc-strings]``."""
    match = re.search(r"<div hidden data-bc-strings(.*?)></div>", text, re.S)
    assert match, "no widget strings on the page"
    return {name: html.unescape(value) for name, value in re.findall(r'data-([\w-]+)="([^"]*)"', match[1])}


def test_locale_middleware_sits_between_session_and_common():
    middleware = settings.MIDDLEWARE
    locale = middleware.index("django.middleware.locale.LocaleMiddleware")
    assert middleware.index("django.contrib.sessions.middleware.SessionMiddleware") < locale
    assert locale < middleware.index("django.middleware.common.CommonMiddleware")
    assert settings.LANGUAGE_CODE == "de"
    assert [code for code, _name in settings.LANGUAGES] == ["de", "en"]


def test_english_browser_gets_an_english_citizen_page(chat_page):
    response, text = page_in("en-US,en;q=0.9", chat_page.url)
    assert '<html lang="en">' in text
    assert "Accept-Language" in response["Vary"]
    assert response["Content-Language"] == "en"
    assert "Start chat" in text and "Chat starten" not in text
    assert "Skip to content" in text
    strings = widget_strings(text)
    assert strings["started"] == "Chat started. You can now write messages."
    assert strings["closed"] == "This conversation has been closed."
    assert strings["pdf-ready"] == "The PDF has been downloaded."


@pytest.mark.parametrize("header", ["de-DE,de;q=0.9", "fr-FR,fr;q=0.9", "pl", "", None])
def test_every_other_browser_gets_german(chat_page, header):
    _response, text = page_in(header, chat_page.url)
    assert '<html lang="de">' in text
    assert "Chat starten" in text and "Start chat" not in text
    assert "Zum Inhalt springen" in text
    strings = widget_strings(text)
    assert strings["started"] == "Chat gestartet. Sie können jetzt Nachrichten schreiben."
    assert strings["pdf-ready"] == "Die PDF-Datei wurde heruntergeladen."


def test_status_endpoint_speaks_the_browsers_language(dept_a):
    url = f"/buergerchat/status/{dept_a.pk}/"
    english = Client().get(url, HTTP_ACCEPT_LANGUAGE="en").json()
    german = Client().get(url, HTTP_ACCEPT_LANGUAGE="fr").json()
    assert english["availability"]["label"] != german["availability"]["label"]


def pdf_text_of(client, secret, capture, **extra):
    from tests.files.test_pdf import pdf_text

    with capture(execute=True):
        client.get(f"{API}/transcript", **{SECRET: secret}, **extra)
    response = client.get(f"{API}/transcript", **{SECRET: secret}, **extra)
    assert response.status_code == 200, response.content
    return pdf_text(b"".join(response.streaming_content))


def test_citizen_transcript_in_the_pages_language(dept_a, start_conversation, django_capture_on_commit_callbacks):
    conversation, secret = start_conversation(dept_a, text="Frage zum Carport")
    client = Client()
    english = pdf_text_of(client, secret, django_capture_on_commit_callbacks, data={"lang": "en"})
    assert f"Chat transcript {conversation.reference}" in english
    assert "Gesprächsverlauf" not in english
    assert Transcript.objects.get(kind=TranscriptKind.CITIZEN).language == "en"

    # The same conversation from a German page: a German copy replaces the English one.
    german = pdf_text_of(client, secret, django_capture_on_commit_callbacks, data={"lang": "de"})
    assert f"Gesprächsverlauf {conversation.reference}" in german
    assert list(Transcript.objects.filter(kind=TranscriptKind.CITIZEN).values_list("language", flat=True)) == ["de"]


def test_transcript_without_lang_follows_the_browser(dept_a, start_conversation, django_capture_on_commit_callbacks):
    _conversation, secret = start_conversation(dept_a, text="Frage zum Carport")
    english = pdf_text_of(Client(), secret, django_capture_on_commit_callbacks, HTTP_ACCEPT_LANGUAGE="en")
    assert "Chat transcript" in english
    french = pdf_text_of(Client(), secret, django_capture_on_commit_callbacks, HTTP_ACCEPT_LANGUAGE="fr")
    assert "Gesprächsverlauf" in french


def test_transcript_language_falls_back_to_the_pdf_language():
    assert transcripts.transcript_language("en-GB") == "en"
    assert transcripts.transcript_language("fr") == "de"
    assert transcripts.transcript_language("") == "de"
    assert transcripts.transcript_language("../../etc") == "de"


def test_archived_record_stays_in_the_pdf_language(dept_a, start_conversation):
    from django.utils import translation

    conversation, _secret = start_conversation(dept_a)
    with translation.override("en"):
        record = transcripts.store_transcript(conversation, TranscriptKind.ARCHIVE)
    assert record.language == "de"
