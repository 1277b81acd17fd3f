"""Upload checks: type by content, renamed programs, sizes, names, EXIF/GPS,
decompression bombs, damaged files."""

import io

import pytest
from PIL import Image

from buergerchat_wagtail.files.uploads import detect_type, inspect_upload, sanitise_filename
from buergerchat_wagtail.models import FileType
from buergerchat_wagtail.protocol.frames import ProtocolError
from tests.files import elf_bytes, jpeg_with_gps, pdf_bytes, png_bytes, upload, windows_exe_bytes


def refused(uploaded, department):
    with pytest.raises(ProtocolError) as info:
        inspect_upload(uploaded, department)
    assert info.value.field == "file"
    return info.value


@pytest.mark.django_db
@pytest.mark.parametrize("content", [elf_bytes(), windows_exe_bytes(), b"#!/bin/sh\nrm -rf /\n"])
def test_a_renamed_program_is_refused(dept_a, content):
    error = refused(upload("Bauantrag.pdf", content, "application/pdf"), dept_a)
    assert error.code == "attachment_executable"
    assert "PDF, JPEG, PNG" in error.detail


@pytest.mark.django_db
def test_type_comes_from_content_not_name(dept_a):
    clean = inspect_upload(upload("scan.png", pdf_bytes(), "image/png"), dept_a)
    assert clean.file_type == FileType.PDF
    assert clean.name == "scan.pdf"
    assert detect_type(b"plain text, no signature") is None
    error = refused(upload("brief.pdf", b"Sehr geehrte Damen und Herren", "application/pdf"), dept_a)
    assert error.code == "attachment_type"


@pytest.mark.django_db
def test_department_types_and_size_limit(dept_a):
    dept_a.attachment_types = ["pdf"]
    dept_a.max_attachment_mb = 1
    dept_a.save()
    dept_a.refresh_from_db()
    assert dept_a.attachment_types == ["pdf"]
    assert refused(upload("foto.png", png_bytes()), dept_a).code == "attachment_type"
    big = upload("gross.pdf", pdf_bytes() + b"\n%" + b"x" * (1024 * 1024))
    error = refused(big, dept_a)
    assert error.code == "attachment_too_large"
    assert "1 MB" in error.detail
    dept_a.attachment_types = []
    assert refused(upload("plan.pdf", pdf_bytes()), dept_a).code == "attachments_disabled"


@pytest.mark.django_db
def test_defaults_are_pdf_jpeg_png_and_10_mb(dept_a):
    assert dept_a.attachment_types == ["pdf", "jpeg", "png"]
    assert dept_a.max_attachment_mb == 10


@pytest.mark.django_db
def test_empty_damaged_and_encrypted_files(dept_a):
    assert refused(upload("leer.pdf", b""), dept_a).code == "attachment_empty"
    assert refused(upload("kaputt.pdf", b"%PDF-1.7\n garbage"), dept_a).code == "attachment_damaged"
    assert refused(upload("kaputt.png", png_bytes()[:40]), dept_a).code == "attachment_damaged"
    import pikepdf

    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(pdf_bytes())) as document:
        document.save(out, encryption=pikepdf.Encryption(owner="o", user="geheim"))
    assert refused(upload("geheim.pdf", out.getvalue()), dept_a).code == "attachment_encrypted"


@pytest.mark.django_db
def test_exif_and_gps_are_stripped_from_images(dept_a):
    original = Image.open(io.BytesIO(jpeg_with_gps()))
    assert original.getexif()[0x0110] == "Testkamera 3000"
    assert original.getexif().get_ifd(0x8825)
    clean = inspect_upload(upload("foto.jpeg", jpeg_with_gps(), "image/jpeg"), dept_a)
    assert clean.file_type == FileType.JPEG
    assert clean.name == "foto.jpg"
    image = Image.open(io.BytesIO(clean.content))
    assert image.format == "JPEG"
    assert image.size == (64, 48)
    exif = image.getexif()
    assert 0x0110 not in exif  # camera model
    assert 0x0131 not in exif  # software
    assert not exif.get_ifd(0x8825)  # GPS
    assert b"Testkamera" not in clean.content
    assert b"exif" not in clean.content.lower()


@pytest.mark.django_db
def test_png_text_chunks_are_dropped(dept_a):
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", "Erika Muster, Hauptstr. 1")
    out = io.BytesIO()
    Image.new("RGB", (10, 10), "blue").save(out, format="PNG", pnginfo=info)
    clean = inspect_upload(upload("bild.png", out.getvalue()), dept_a)
    assert b"Erika" not in clean.content
    assert Image.open(io.BytesIO(clean.content)).size == (10, 10)


@pytest.mark.django_db
def test_decompression_bomb_is_refused_before_decoding(dept_a, settings):
    settings.BUERGERCHAT = {"MAX_IMAGE_PIXELS": 1_000_000}
    # 2000 x 2000 single-colour PNG: a few kilobytes that would decode to 12 MB.
    out = io.BytesIO()
    Image.new("RGB", (2000, 2000), "white").save(out, format="PNG", optimize=True)
    assert len(out.getvalue()) < 50_000
    error = refused(upload("bombe.png", out.getvalue()), dept_a)
    assert error.code == "attachment_too_many_pixels"
    # Pillow's own bomb guard (far larger images) also ends in the same refusal.
    header = io.BytesIO()
    Image.new("1", (1, 1)).save(header, format="PNG")
    data = bytearray(header.getvalue())
    import struct
    import zlib

    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 1, 0, 0, 0, 0)
    data[8 + 8 : 8 + 8 + 13] = ihdr
    data[8 + 8 + 13 : 8 + 8 + 13 + 4] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr) & 0xFFFFFFFF)
    error = refused(upload("riesig.png", bytes(data)), dept_a)
    assert error.code == "attachment_too_many_pixels"


@pytest.mark.parametrize(
    "raw, kind, expected",
    [
        ("../../etc/passwd", "pdf", "passwd.pdf"),
        ("C:\\Users\\erika\\Bauplan final.PDF", "pdf", "Bauplan final.pdf"),
        ("rechnung\u202egpj.exe", "pdf", "rechnunggpj.pdf"),
        ("<script>alert(1)</script>.png", "png", "script.png"),
        ("<b onmouseover=x>Plan.png", "png", "b onmouseover=x_Plan.png"),
        ("foto.exe.jpg", "jpeg", "foto_exe.jpg"),
        ("...", "png", "attachment.png"),
        ("", "pdf", "attachment.pdf"),
        ("Straße & Plätze; \"Entwurf\".pdf", "pdf", "Straße & Plätze_ _Entwurf.pdf"),
        ("a" * 300 + ".pdf", "pdf", "a" * 80 + ".pdf"),
    ],
)
def test_filenames_are_sanitised(raw, kind, expected):
    with __import__("django.utils.translation", fromlist=["override"]).override("en"):
        assert sanitise_filename(raw, kind) == expected
