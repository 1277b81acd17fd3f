"""Files and transcripts in a real browser: citizen upload (button and drag and
drop), refusal, downloads with the secret in a header, the PDF transcript, and the
case worker's side with archive and close.

New strings are selected by data- attributes or English/German alternatives
(German after translation merge)."""

import base64
import re

import pytest
from playwright.sync_api import expect

from tests.files import elf_bytes, pdf_bytes, png_bytes

from .conftest import login
from .test_chat_flow import start_chat

pytestmark = pytest.mark.browser


def drop_file(page, selector, name, content, mime):
    page.evaluate(
        """([selector, name, data, mime]) => {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, { type: mime }));
            const target = document.querySelector(selector);
            target.dispatchEvent(new DragEvent("dragover", { dataTransfer: transfer, bubbles: true, cancelable: true }));
            target.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
        }""",
        [selector, name, base64.b64encode(content).decode(), mime],
    )


def test_citizen_and_staff_exchange_files_and_archive(new_context, tmp_path):
    citizen_context = new_context(accept_downloads=True)
    citizen = citizen_context.new_page()
    start_chat(citizen, "Bauantrag mit Lageplan")
    log = citizen.get_by_role("log")

    # A program disguised as a PDF is refused, with the reason next to the field.
    citizen.locator("[data-bc-file]").set_input_files(
        {"name": "Lageplan.pdf", "mimeType": "application/pdf", "buffer": elf_bytes()}
    )
    citizen.locator("[data-bc-upload-button]").click()
    error = citizen.locator("[data-bc-upload-error]")
    expect(error).to_contain_text(re.compile("Programs|Programme"))
    expect(citizen.locator("[data-bc-file]")).to_have_attribute("aria-invalid", "true")

    # A real PDF goes through the button, with a progress bar that hides afterwards.
    citizen.locator("[data-bc-file]").set_input_files(
        {"name": "Lageplan.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}
    )
    citizen.locator("[data-bc-upload-button]").click()
    expect(log.locator("[data-bc-download-url]")).to_have_text("Lageplan.pdf")
    expect(error).to_be_empty()
    expect(citizen.locator("[data-bc-progress]")).to_be_hidden()

    # A photo dropped onto the chat.
    drop_file(citizen, "[data-bc-chat]", "Foto.png", png_bytes(), "image/png")
    expect(log.locator("[data-bc-download-url]", has_text="Foto.png")).to_have_count(1)

    # Downloads: fetched with the secret in a header, saved from a blob.
    with citizen.expect_download() as info:
        log.locator("[data-bc-download-url]", has_text="Lageplan.pdf").click()
    download = info.value
    assert download.suggested_filename == "Lageplan.pdf"
    assert open(download.path(), "rb").read() == pdf_bytes()
    assert "secret" not in download.url.lower()

    with citizen.expect_download() as info:
        citizen.locator("[data-bc-transcript]").click()
    transcript = info.value
    assert transcript.suggested_filename.startswith("BC-") and transcript.suggested_filename.endswith(".pdf")
    assert open(transcript.path(), "rb").read(5) == b"%PDF-"
    reference = citizen.locator("[data-bc-reference]").inner_text()

    # The case worker sees both files, downloads one, answers with a file.
    staff_context = new_context(accept_downloads=True)
    staff = staff_context.new_page()
    login(staff, "bauamt", "bauamt")
    staff.goto("/admin/buergerchat/")
    staff.get_by_role("link", name="Bauantrag mit Lageplan").click()
    thread = staff.get_by_role("log")
    expect(thread.get_by_role("link", name="Foto.png")).to_be_visible()
    with staff.expect_download() as info:
        thread.get_by_role("link", name="Lageplan.pdf").click()
    assert open(info.value.path(), "rb").read() == pdf_bytes()

    staff.locator("#bc-upload-file").set_input_files(
        {"name": "Bescheid.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes("Bescheid")}
    )
    staff.locator("[data-bc-conversation-target=uploadButton]").click()
    expect(thread.get_by_role("link", name="Bescheid.pdf")).to_be_visible()
    expect(log.locator("[data-bc-download-url]", has_text="Bescheid.pdf")).to_have_count(1)

    # Archive, then close; the archive lists the transcript and serves it.
    staff.locator("[data-bc-archive-form] button").click()
    expect(staff.locator("[data-bc-archived]")).to_have_count(1)
    staff.locator("[data-bc-close-form] button").click()
    expect(staff.locator("[data-bc-close-form]")).to_be_hidden()  # the one close control, hidden once closed
    staff.goto("/admin/buergerchat-archive/")
    row = staff.get_by_role("link", name=reference)
    expect(row).to_be_visible()
    with staff.expect_download() as info:
        row.click()
    assert open(info.value.path(), "rb").read(5) == b"%PDF-"

    # Another department's case worker gets neither the archive entry nor the file.
    other = new_context().new_page()
    login(other, "buergerbuero", "buergerbuero")
    other.goto("/admin/buergerchat-archive/")
    expect(other.get_by_text(reference)).to_have_count(0)
    href = staff.locator("a", has_text=reference).get_attribute("href")
    response = other.request.get(href)
    assert response.status == 403
