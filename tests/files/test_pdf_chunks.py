"""Long transcripts rendered in parts in worker processes and joined
(files/pdf_render.py): the same pages, text, page numbers, bookmarks and embedded
files as the one-pass render, and still PDF/A-3b."""

import asyncio
import collections
import concurrent.futures
import io
import re
import shutil
import subprocess
import uuid

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from buergerchat_wagtail.conversations import services
from buergerchat_wagtail.files import attachments, pdf, pdf_render, transcripts
from buergerchat_wagtail.models import SenderType, TranscriptKind
from tests import pdfa_rules
from tests.files import pdf_bytes, png_bytes

#: 4 messages a part; the conversation below has 10 (2.5 parts: parts of 4, 3 and 3).
CHUNKED = {"PDF_CHUNK_SIZE": 4, "PDF_WORKERS": 2}
LONG = "Eine längere Nachricht, damit ein Teil mehr als eine Seite füllt. " * 40
FOOTER = re.compile(r"Seite (\d+) von (\d+)")


def pdf_text(data, *args):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is missing (apt-get install poppler-utils)")
    return subprocess.run(["pdftotext", *args, "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


def post(conversation, body, sender=SenderType.CITIZEN):
    services.post_message(conversation=conversation, sender=sender, body=body, client_id=uuid.uuid4())


def attach(conversation, name, content, capture):
    with capture(execute=True):  # runs the scan job
        attachments.store_attachment(
            conversation=conversation,
            sender=SenderType.CITIZEN,
            uploaded=SimpleUploadedFile(name, content),
            client_id=uuid.uuid4(),
        )


@pytest.fixture
def long_conversation(dept_a, start_conversation, django_capture_on_commit_callbacks):
    conversation, _secret = start_conversation(dept_a, text="Frage zum Carport", name="Erika Müller")
    attach(conversation, "Grundstück-Foto.png", png_bytes(), django_capture_on_commit_callbacks)  # part 1
    for number in range(6):
        post(conversation, f"Nachricht {number}: " + (LONG if number % 3 == 0 else "kurz"))
    attach(conversation, "Bauplan Straße 5.pdf", pdf_bytes("Straße"), django_capture_on_commit_callbacks)  # part 3
    post(conversation, "Danke, das war alles. Мы благодарим. مرحبا")
    assert transcripts.citizen_visible_messages(conversation).count() == 10
    return conversation


def render(conversation, created_at, **options):
    return pdf.render_transcript(
        conversation,
        transcripts.citizen_visible_messages(conversation),
        kind=TranscriptKind.ARCHIVE,
        created_at=created_at,
        **options,
    )


@pytest.fixture
def rendered(long_conversation):
    """``(joined parts, the same pages in one pass, info of the joined render)``."""
    created_at = timezone.now()
    with override_settings(BUERGERCHAT=CHUNKED):
        joined, info = render(long_conversation, created_at)
        one_pass, _info = render(long_conversation, created_at, parallel=False)
    return joined, one_pass, info


def test_split_parts_gives_parts_of_nearly_equal_length():
    assert pdf.split_parts(list(range(10)), 4) == [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert pdf.split_parts(list(range(8)), 4) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert pdf.split_parts(list(range(4)), 4) == [[0, 1, 2, 3]]
    assert pdf.split_parts(list(range(1000)), 0) == [list(range(1000))]
    assert [len(part) for part in pdf.split_parts(list(range(5000)), 300)] == [295] * 2 + [294] * 15


@pytest.mark.django_db
def test_joined_parts_have_the_text_and_page_numbers_of_the_one_pass_render(rendered):
    joined, one_pass, info = rendered
    assert info["message_count"] == 10 and info["blocked"] == []
    for mode in ((), ("-layout",), ("-raw",)):
        assert pdf_text(joined, *mode) == pdf_text(one_pass, *mode)
    pages = pdf_text(joined).split("\f")[:-1]
    numbers = [FOOTER.findall(page) for page in pages]
    total = len(pages)
    # Every page says its own number of the whole document: numbering does not start
    # again with each part, and the total is the whole document's.
    assert numbers == [[(str(number), str(total))] for number in range(1, total + 1)]
    assert total > 3  # more than one page per part, so a part's offset matters


@pytest.mark.django_db
def test_joined_parts_have_the_content_of_the_unparted_render(rendered, long_conversation):
    """The same text as before there were parts; only where the pages break differs."""
    joined, _one_pass, _info = rendered
    with override_settings(BUERGERCHAT={"PDF_CHUNK_SIZE": 0}):
        whole, _info = render(long_conversation, timezone.now())

    def words(data):
        """The words without the footers and the creation time (it differs between the renders)."""
        text = FOOTER.sub("", pdf_text(data, "-raw")).replace(long_conversation.reference, "")
        text = re.sub(r"Erstellt\s+\S+ \S+", "", text)
        return collections.Counter(text.split())

    # The same words as often; their order differs only where the attachment list
    # breaks across a page at another place, and its header row is repeated on each
    # page it spans.
    header = collections.Counter(["Datei", "Größe", "SHA-256", "In", "diesem", "PDF"])
    joined_words, whole_words = words(joined), words(whole)
    assert set(joined_words - whole_words) <= set(header) and set(whole_words - joined_words) <= set(header)
    assert sum(joined_words.values()) > 500


@pytest.mark.django_db
def test_joined_parts_are_pdfa_with_each_attachment_once_and_all_pages(rendered, long_conversation):
    joined, one_pass, _info = rendered
    stored = sorted(a.name for a in long_conversation.attachments.all())
    with pikepdf.open(io.BytesIO(joined)) as document, pikepdf.open(io.BytesIO(one_pass)) as reference:
        assert pdfa_rules.problems(document) == []
        assert len(document.pages) == len(reference.pages)
        names = sorted(str(spec.UF) for _key, spec in pdfa_rules.embedded_files(document))
        assert names == stored
        assert len(document.Root.AF) == len(stored)
        assert len(document.Root.OutputIntents) == 1
        meta = document.open_metadata()
        assert meta["pdfaid:part"] == "3" and meta["pdfaid:conformance"] == "B"
        assert long_conversation.reference in str(meta.get("dc:title"))
        assert outline(document) == outline(reference)
        assert [title for title, _page, _children in outline(document)[0][2]] == ["Nachrichten", "Anhänge"]


def outline(document):
    pages = {page.obj.objgen: number for number, page in enumerate(document.pages)}

    def walk(items):
        return [(str(item.title), pages[item.destination[0].objgen], walk(item.children)) for item in items]

    with document.open_outline() as tree:
        return walk(tree.root)


@pytest.mark.django_db
def test_short_transcript_is_rendered_in_one_piece(long_conversation, monkeypatch):
    def no_parts(*args, **kwargs):
        raise AssertionError("a transcript within PDF_CHUNK_SIZE is rendered in one piece")

    monkeypatch.setattr(pdf, "render_parts", no_parts)
    monkeypatch.setattr(pdf.PartPool, "start", no_parts)  # and no worker process is started
    with override_settings(BUERGERCHAT={"PDF_CHUNK_SIZE": 10}):
        data, info = render(long_conversation, timezone.now())
        assert info["message_count"] == 10
        assert "Seite 1 von" in pdf_text(data)
    for settings, options in (({"PDF_CHUNK_SIZE": 0}, {}), ({"PDF_CHUNK_SIZE": 4}, {"parallel": False})):
        with override_settings(BUERGERCHAT=settings):
            _data, info = render(long_conversation, timezone.now(), **options)
        assert info["message_count"] == 10


def test_footer_pages_number_from_the_given_page():
    footer = ("Stadt · BC-TEST", "Seite", "von")
    data = pdf_render.render_footers("de", footer, pdf.fonts.TextGuard().css(), 5, 3, 12)
    assert FOOTER.findall(pdf_text(data)) == [("5", "12"), ("6", "12"), ("7", "12")]


@pytest.mark.django_db(transaction=True)
def test_parts_render_from_a_thread_beside_a_running_event_loop(long_conversation):
    """As in the demo (ImmediateBackend: the job runs in daphne's request thread):
    the workers are spawned, not forked from a process with threads and a loop."""
    messages = list(transcripts.citizen_visible_messages(long_conversation))

    async def main():
        loop = asyncio.get_running_loop()
        with concurrent.futures.ThreadPoolExecutor(1) as threads:
            return await loop.run_in_executor(
                threads,
                lambda: pdf.render_transcript(long_conversation, messages, kind=TranscriptKind.ARCHIVE),
            )

    with override_settings(BUERGERCHAT=CHUNKED):
        data, info = asyncio.run(main())
    assert info["message_count"] == 10
    pages = pdf_text(data).split("\f")[:-1]
    assert FOOTER.findall(pages[-1]) == [(str(len(pages)), str(len(pages)))]


def test_run_jobs_gives_results_in_order_and_raises_a_workers_error():
    with pdf.worker_pool(1) as pool:
        assert pdf.run_jobs(pool, [(abs, (-number,)) for number in range(7)], 1) == list(range(7))
        with pytest.raises(TypeError):
            pdf.run_jobs(pool, [(abs, ("x",)) for _number in range(3)], 1)
    assert pdf.run_jobs(None, [(abs, (-2,))]) == [2]
    assert pdf.run_jobs(None, []) == []
