"""PDF/A transcripts: content, escaping, PDF/A identification, fonts, embedded
files, and a URL fetcher that fetches nothing."""

import hashlib
import re
import http.server
import io
import shutil
import subprocess
import threading
import uuid

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from buergerchat_wagtail.conversations import services
from buergerchat_wagtail.files import attachments, fonts, pdf, transcripts
from buergerchat_wagtail.models import SenderType, Transcript, TranscriptKind
from tests.files import jpeg_with_gps, pdf_bytes

XSS = '<script>alert("x")</script><b>fett</b> & <img src=x onerror=alert(1)>'


def pdf_text(data, mode="-layout"):
    """Text of a PDF as poppler's pdftotext extracts it (CI installs poppler-utils);
    ``mode="-raw"`` keeps each text box's lines together (content-stream order)."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is missing (apt-get install poppler-utils)")
    result = subprocess.run(["pdftotext", mode, "-", "-"], input=data, capture_output=True, check=True)
    return result.stdout.decode("utf-8")


def not_fonts(urls):
    """The fetched URLs less the transcript fonts (served by the fetcher itself)."""
    return [url for url in urls if not url.startswith(fonts.FONT_URL_PREFIX)]


def post(conversation, body, sender=SenderType.CITIZEN, author=None):
    return services.post_message(
        conversation=conversation, sender=sender, body=body, client_id=uuid.uuid4(), author=author
    )[0]


class RecordingHandler(http.server.BaseHTTPRequestHandler):
    requests = []

    def do_GET(self):  # noqa: N802
        RecordingHandler.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def recording_server():
    RecordingHandler.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RecordingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", RecordingHandler.requests
    server.shutdown()
    server.server_close()


@pytest.fixture
def conversation(dept_a, start_conversation):
    conversation, _secret = start_conversation(dept_a, text="Frage zur Baugenehmigung Ähre", name="Erika Muster")
    return conversation


@pytest.mark.django_db
def test_transcript_lists_messages_authors_and_berlin_times(conversation, worker_a):
    post(conversation, "Guten Tag, wir prüfen das.", SenderType.STAFF, worker_a)
    transcript = transcripts.store_transcript(conversation, TranscriptKind.ARCHIVE, user=worker_a)
    data = transcripts.private_storage().open(transcript.storage_name).read()
    text = pdf_text(data)
    assert conversation.reference in text
    assert "Bauverwaltung" in text
    assert "Erika Muster" in text
    assert "Berta Baumann (Bauverwaltung)" in text
    assert "Frage zur Baugenehmigung Ähre" in text
    first = conversation.messages.first()
    assert pdf.format_time(first.created_at) in text
    assert "Europe/Berlin" in text
    assert transcript.message_count == 2
    assert transcript.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.django_db
def test_xss_payload_is_rendered_as_text(conversation):
    post(conversation, XSS)
    data, _info = pdf.render_transcript(
        conversation, transcripts.citizen_visible_messages(conversation), kind=TranscriptKind.ARCHIVE
    )
    text = " ".join(pdf_text(data).split())
    assert '<script>alert("x")</script><b>fett</b> & <img src=x onerror=alert(1)>' in text


@pytest.mark.django_db
def test_pdfa_identification_fonts_metadata_and_embedded_files(
    conversation, worker_a, django_capture_on_commit_callbacks
):
    for name, content in (("plan.pdf", pdf_bytes()), ("foto.jpg", jpeg_with_gps())):
        with django_capture_on_commit_callbacks(execute=True):  # runs the scan job
            attachments.store_attachment(
                conversation=conversation,
                sender=SenderType.CITIZEN,
                uploaded=SimpleUploadedFile(name, content),
                client_id=uuid.uuid4(),
            )
    transcript = transcripts.store_transcript(conversation, TranscriptKind.ARCHIVE, user=worker_a)
    data = transcripts.private_storage().open(transcript.storage_name).read()
    with pikepdf.open(io.BytesIO(data)) as document:
        meta = document.open_metadata()
        assert meta["pdfaid:part"] == "3"
        assert meta["pdfaid:conformance"] == "B"
        assert conversation.reference in str(meta.get("dc:title"))
        assert document.Root.Lang == "de"
        assert len(document.Root.OutputIntents) == 1
        fonts = {}
        for page in document.pages:
            for name, font in page.Resources.Font.items():
                fonts[str(font.BaseFont)] = font
        assert fonts, "no fonts in the PDF"
        for font in fonts.values():
            descriptor = font.DescendantFonts[0].FontDescriptor if "/DescendantFonts" in font else font.FontDescriptor
            assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")), font.BaseFont
        embedded = document.attachments
        assert set(embedded) == {"plan.pdf", "foto.jpg"}
        stored = {a.name: a for a in conversation.attachments.all()}
        for name, spec in embedded.items():
            content = spec.get_file().read_bytes()
            assert hashlib.sha256(content).hexdigest() == stored[name].sha256
        # PDF/A-3: every embedded file is an associated file with a relationship.
        associated = {spec.objgen for spec in document.Root.AF}
        assert len(associated) == 2
        assert {str(spec.AFRelationship) for spec in document.Root.AF} == {"/Supplement"}
        assert len(document.pages) >= 1
    text = pdf_text(data)
    assert "Seite 1" in text  # the page footer, in German
    # Each hash wraps in its own column beside the file's label: read the hex digits
    # in content order, without the label's words.
    raw = pdf_text(data, "-raw")
    for words in ("eingebettet", "nicht auf", "Schadsoftware", "geprüft"):
        raw = raw.replace(words, "")
    hex_only = re.sub(r"[^0-9a-f]", "", raw)
    for attachment in stored.values():
        assert attachment.sha256 in hex_only


@pytest.mark.django_db
def test_message_with_external_urls_causes_no_fetch(conversation, recording_server, monkeypatch):
    base, requests = recording_server
    post(conversation, f'<img src="{base}/tracker.png"> <link rel=stylesheet href="{base}/x.css"> file:///etc/passwd')
    fetched = []
    original = pdf.RestrictedURLFetcher.fetch

    def spy(self, url, headers=None):
        fetched.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(pdf.RestrictedURLFetcher, "fetch", spy)
    data, info = pdf.render_transcript(
        conversation, transcripts.citizen_visible_messages(conversation), kind=TranscriptKind.CITIZEN
    )
    assert requests == []
    assert not_fonts(fetched) == []  # escaped text: nothing even asked but the transcript fonts
    assert info["blocked"] == []
    assert "file:///etc/passwd" in pdf_text(data)


def test_restricted_fetcher_refuses_http_and_file_urls_even_in_raw_html(recording_server, tmp_path):
    base, requests = recording_server
    secret = tmp_path / "secret.css"
    secret.write_text("body { color: red }")
    fetcher = pdf.RestrictedURLFetcher()
    html = (
        f'<html><head><link rel="stylesheet" href="file://{secret}"></head><body>'
        f'<img src="{base}/a.png"><img src="file:///etc/passwd">'
        f'<div style="background: url({base}/b.png)">x</div></body></html>'
    )
    data = pdf.html_to_pdf(html, fetcher=fetcher)
    assert data.startswith(b"%PDF-")
    assert requests == []
    assert f"{base}/a.png" in fetcher.blocked
    assert "file:///etc/passwd" in fetcher.blocked
    assert f"file://{secret}" in fetcher.blocked
    with pytest.raises(ValueError):
        fetcher.fetch(f"{base}/c.png")
    assert requests == []


@pytest.mark.django_db
def test_city_name_and_logo_come_from_the_site_setting(conversation, site_root):
    from django.core.files.images import ImageFile
    from wagtail.images.models import Image as WagtailImage
    from wagtail.models import Site

    from buergerchat_wagtail.models import BuergerchatSiteSettings
    from tests.files import png_bytes

    image = WagtailImage.objects.create(title="Wappen", file=ImageFile(io.BytesIO(png_bytes((120, 80))), name="wappen.png"))
    settings = BuergerchatSiteSettings.for_site(Site.objects.get(is_default_site=True))
    settings.city_name = "Stadt Testhausen"
    settings.logo = image
    settings.save()
    fetcher_seen = []
    original = pdf.RestrictedURLFetcher.fetch

    def spy(self, url, headers=None):
        fetcher_seen.append(url)
        return original(self, url, headers)

    pdf.RestrictedURLFetcher.fetch = spy
    try:
        data, info = pdf.render_transcript(
            conversation, transcripts.citizen_visible_messages(conversation), kind=TranscriptKind.ARCHIVE
        )
    finally:
        pdf.RestrictedURLFetcher.fetch = original
    assert "Stadt Testhausen" in pdf_text(data)
    assert not_fonts(fetcher_seen) == [pdf.LOGO_URL]
    with pikepdf.open(io.BytesIO(data)) as document:
        images = [img for page in document.pages for img in page.get_images().values()]
        assert images and int(images[0].Width) == 120


@pytest.mark.django_db
def test_citizen_visible_messages_is_the_one_source(conversation, monkeypatch):
    post(conversation, "sichtbar")
    hidden = post(conversation, "nur intern")
    original = transcripts.citizen_visible_messages
    monkeypatch.setattr(
        transcripts, "citizen_visible_messages", lambda c: original(c).exclude(pk=hidden.pk)
    )
    transcript = transcripts.store_transcript(conversation, TranscriptKind.CITIZEN)
    text = pdf_text(transcripts.private_storage().open(transcript.storage_name).read())
    assert "sichtbar" in text
    assert "nur intern" not in text
    assert Transcript.objects.get(pk=transcript.pk).message_count == 2


@pytest.mark.django_db
def test_links_and_lists_are_kept_in_the_transcript(conversation, worker_a):
    """The same formatting as in the widget and the admin (conversations/formatting.py):
    the full address as text and as a link annotation (PDF/A: printable, a URI action)."""
    url = "https://www.musterstadt.de/bauen/antrag?typ=carport"
    post(conversation, f"Das Formular: {url}.\nSie brauchen:\n- einen Lageplan\n- javascript:alert(1)", SenderType.STAFF, worker_a)
    data, _info = pdf.render_transcript(
        conversation, transcripts.citizen_visible_messages(conversation), kind=TranscriptKind.ARCHIVE
    )
    text = pdf_text(data)
    assert f"Das Formular: {url}." in text
    assert "• einen Lageplan" in text or "einen Lageplan" in text
    assert "javascript:alert(1)" in text
    with pikepdf.open(io.BytesIO(data)) as document:
        uris = []
        for page in document.pages:
            for annotation in page.get("/Annots", []):
                action = annotation.get("/A")
                assert action is not None and action.get("/S") == "/URI"
                assert int(annotation.get("/F", 0)) & 4  # printable (PDF/A 6.3.2)
                uris.append(str(action.get("/URI")))
    assert uris == [url]
