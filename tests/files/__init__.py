"""Test files made on the fly: PDFs, images with EXIF/GPS, programs in disguise."""

import functools
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


@functools.lru_cache(maxsize=None)
def pdf_bytes(text="Bauplan"):
    """A small valid PDF with one page (made by Pillow, no fixtures on disk); the
    same bytes for the same text within a test run (the PDF holds a timestamp)."""
    out = io.BytesIO()
    Image.new("RGB", (60, 40), "white").save(out, format="PDF", title=text)
    return out.getvalue()


def jpeg_with_gps():
    """A JPEG carrying EXIF with a camera model and a GPS position."""
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0110] = "Testkamera 3000"  # Model
    exif[0x0131] = "Geheim-Software"  # Software
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (49.0, 19.0, 12.0)
    gps[3] = "E"
    gps[4] = (8.0, 33.0, 0.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def png_bytes(size=(32, 32)):
    out = io.BytesIO()
    Image.new("RGBA", size, (0, 100, 200, 128)).save(out, format="PNG")
    return out.getvalue()


def elf_bytes():
    """The start of a Linux program (ELF header) followed by padding."""
    return b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 200


def windows_exe_bytes():
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 300


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)
