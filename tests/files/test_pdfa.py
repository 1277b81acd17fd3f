"""PDF/A-3b rules checked offline on transcripts with many scripts, emoji, a long
URL and attachments with non-ASCII names (rules in tests/pdfa_rules.py)."""

import io
import re
import shutil
import subprocess
import uuid

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from buergerchat_wagtail.conversations import services
from buergerchat_wagtail.files import attachments, fonts, pdf, pdfa, transcripts
from buergerchat_wagtail.models import SenderType, TranscriptKind
from tests import pdfa_rules
from tests.files import pdf_bytes, png_bytes

LONG_URL = "https://www.example.org/bauamt/antraege/" + "a1b2c3d4e5" * 26  # 300 characters
MESSAGES = (
    "Grüße aus der Straße: ä ö ü ß Ä Ö Ü",
    "Danke 👍 für das 🏠 mit dem 🌳",
    "مرحبا بكم",
    "Здравствуйте",
    "İğşç in Iğdır",
    LONG_URL,
    "Herz ❤️ und Familie 👨\u200d👩\u200d👧",
)


def run_pdftotext(data, *args):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is missing (apt-get install poppler-utils)")
    return subprocess.run(["pdftotext", *args, "-", "-"], input=data, capture_output=True, check=True).stdout


def post(conversation, body, sender=SenderType.CITIZEN):
    return services.post_message(conversation=conversation, sender=sender, body=body, client_id=uuid.uuid4())[0]


def attach(conversation, name, content, capture):
    with capture(execute=True):  # runs the scan job
        attachments.store_attachment(
            conversation=conversation,
            sender=SenderType.CITIZEN,
            uploaded=SimpleUploadedFile(name, content),
            client_id=uuid.uuid4(),
        )


def render(conversation):
    data, _info = pdf.render_transcript(
        conversation, transcripts.citizen_visible_messages(conversation), kind=TranscriptKind.ARCHIVE
    )
    return data


@pytest.fixture
def many_scripts(dept_a, start_conversation, django_capture_on_commit_callbacks):
    conversation, _secret = start_conversation(dept_a, text=MESSAGES[0], name="Erika Müller-Łukasiewicz")
    for body in MESSAGES[1:]:
        post(conversation, body)
    attach(conversation, "Grundstück-Foto.png", png_bytes(), django_capture_on_commit_callbacks)
    attach(conversation, "Bauplan Straße 5.pdf", pdf_bytes("Straße"), django_capture_on_commit_callbacks)
    return conversation


@pytest.fixture
def many_scripts_pdf(many_scripts):
    return render(many_scripts)


@pytest.mark.django_db
def test_transcript_with_many_scripts_passes_the_pdfa_rules(many_scripts_pdf):
    with pikepdf.open(io.BytesIO(many_scripts_pdf)) as document:
        assert pdfa_rules.problems(document) == []


@pytest.mark.django_db
def test_every_shown_glyph_is_in_its_embedded_font(many_scripts_pdf):
    with pikepdf.open(io.BytesIO(many_scripts_pdf)) as document:
        assert pdfa_rules.font_embedding_problems(document) == []
        assert pdfa_rules.glyph_problems(document) == []
        families = {re.sub(r"^/?[A-Z]{6}\+", "", str(font.get("/BaseFont"))) for font in pdfa_rules.all_fonts(document)}
    # Only the transcript fonts: emoji from the outline font Symbola, Arabic from Noto Sans
    # Arabic, never a system font (such as a colour bitmap emoji font).
    assert all(family.startswith("Transcript-") for family in families), families
    assert any(family.startswith("Transcript-Emoji") for family in families)
    assert any(family.startswith("Transcript-Arabic") for family in families)


@pytest.mark.django_db
def test_text_of_every_script_round_trips(many_scripts_pdf):
    text = run_pdftotext(many_scripts_pdf).decode()
    for expected in ("ä ö ü ß", "Здравствуйте", "İğşç", "Erika Müller-Łukasiewicz", "Grundstück-Foto.png", "👍"):
        assert expected in text
    # Arabic is extracted in logical order (poppler reverses right-to-left runs).
    assert "مرحبا" in text and "بكم" in text
    # The long URL is wrapped: all of it is there, on more than one line.
    assert LONG_URL in "".join(text.split())
    assert LONG_URL not in text


@pytest.mark.django_db
def test_long_url_and_arabic_stay_inside_the_page(many_scripts_pdf):
    html = run_pdftotext(many_scripts_pdf, "-bbox").decode()
    page = re.search(r'<page width="([\d.]+)"', html)
    right_edge = float(page.group(1)) - 18 / 25.4 * 72  # the right page margin, 18 mm
    words = re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', html)
    assert words
    assert [word for word in words if float(word[1]) > right_edge + 1] == []
    # Arabic bodies are set right to left: their paragraph ends at the right margin.
    arabic = [word for word in words if re.search("[\u0600-\u06ff]", word[2])]
    assert arabic and max(float(word[1]) for word in arabic) > right_edge - 20


@pytest.mark.django_db
def test_embedded_files_have_ascii_f_unicode_uf_and_one_af_entry(many_scripts_pdf, many_scripts):
    stored = {a.name: a for a in many_scripts.attachments.all()}
    with pikepdf.open(io.BytesIO(many_scripts_pdf)) as document:
        assert pdfa_rules.embedded_file_problems(document) == []
        specs = {str(spec.UF): spec for _key, spec in pdfa_rules.embedded_files(document)}
        assert set(specs) == set(stored)
        assert bytes(specs["Grundstück-Foto.png"].F) == b"Grundstueck-Foto.png"
        assert str(specs["Grundstück-Foto.png"].EF.F.Subtype) == "/image/png"
        assert str(specs["Bauplan Straße 5.pdf"].EF.F.Subtype) == "/application/pdf"
        assert {str(spec.AFRelationship) for spec in specs.values()} == {"/Supplement"}
        for name, spec in specs.items():
            assert stored[name].sha256 in str(spec.Desc)
            assert name in str(spec.Desc)
        meta = document.open_metadata()
        assert meta["pdfaid:part"] == "3" and meta["pdfaid:conformance"] == "B"
        assert many_scripts.reference in str(meta.get("dc:title"))
        assert str(document.docinfo.get("/ModDate")) == str(document.docinfo.get("/CreationDate"))


def test_ascii_file_names_are_transliterated_and_unique():
    used = set()
    assert pdfa.ascii_file_name("Grundstück-Foto.png", used) == "Grundstueck-Foto.png"
    assert pdfa.ascii_file_name("Straße Äpfel.pdf", used) == "Strasse Aepfel.pdf"
    assert pdfa.ascii_file_name("Café.png", used) == "Cafe.png"
    assert pdfa.ascii_file_name("Здравствуйте.png", used) == "file.png"
    assert pdfa.ascii_file_name("مرحبا.png", used) == "file (2).png"
    assert pdfa.ascii_file_name("Cafe.png", used) == "Cafe (2).png"


@pytest.mark.django_db
def test_characters_without_a_glyph_are_replaced_by_a_marker(dept_a, start_conversation):
    missing = "\U0010fffd"  # a private-use character that no transcript font has
    assert fonts.classify(missing) == (None, None)
    conversation, _secret = start_conversation(dept_a, text=f"vorher {missing} nachher", name=f"Name{missing}")
    data = render(conversation)
    with pikepdf.open(io.BytesIO(data)) as document:
        assert pdfa_rules.glyph_problems(document) == []
    text = run_pdftotext(data).decode()
    assert f"vorher {fonts.MARKER} nachher" in text
    assert f"Name{fonts.MARKER}" in text


def test_text_guard_keeps_covered_drops_invisible_and_marks_the_rest():
    guard = fonts.TextGuard()
    assert guard.clean("ä ö ü ß\nİğşç\tЗдравствуйте") == "ä ö ü ß\nİğşç\tЗдравствуйте"
    assert guard.clean("a\U000e0001b") == "ab"  # a language tag (format character) without a glyph
    assert guard.clean("❤️ 👍") == "❤\ufe0e 👍\ufe0e"  # symbols in text presentation
    assert guard.clean("x\U0010fffdy") == f"x{fonts.MARKER}y"
    assert guard.replaced == 1
    assert guard.families == {"Transcript Sans", "Transcript Mono", "Transcript Emoji"}
    guard.clean("مرحبا")
    assert "Transcript Arabic" in guard.families
    assert "unicode-range: U+600-" in guard.css()


def test_css_family_list_is_the_order_of_the_font_module():
    css = pdf.CSS_PATH.read_text()
    lists = re.findall(r"font-family:\s*([^;]+);", css)
    expected = ", ".join(f'"{family}"' for family in fonts.FAMILIES)
    assert lists and all(found.startswith(expected) for found in lists if "Mono" not in found)
    assert not re.search(r"@font-face\s*{", css)  # declared by fonts.TextGuard.css() with fetcher URLs only


def test_direction_follows_the_first_strong_character():
    assert fonts.first_strong_direction("مرحبا bitte") == "rtl"
    assert fonts.first_strong_direction("123 bitte مرحبا") == "ltr"
    assert fonts.first_strong_direction("!!!") == "ltr"
