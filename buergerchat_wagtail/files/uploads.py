"""Inspect and clean an uploaded file before it is stored.

The type is decided by the file's content (``filetype``'s signatures), never by
its name or the browser's Content-Type. Executables are refused whatever they
are called. Images are decoded and re-encoded with Pillow, which drops EXIF
(GPS position, camera, time) and any other metadata; oversized images
(decompression bombs) are refused before they are decoded. PDFs must open with
pikepdf; their active content (scripts, automatic and launch actions, embedded
files, form actions, XFA; see active_content.py) is removed or the file refused, as
the department's ``pdf_active_content`` says. Every refusal is a :class:`~buergerchat_wagtail.protocol.ProtocolError`
with a stable code and a message for people.
"""

import hashlib
import io
import re
import unicodedata
import warnings
from dataclasses import dataclass

import filetype
import pikepdf
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.files.active_content import remove_active_content
from buergerchat_wagtail.models.departments import PdfActiveContent
from buergerchat_wagtail.models.filetypes import IMAGE_TYPES, FileType, extension, labels
from buergerchat_wagtail.protocol.frames import ProtocolError

HEAD_BYTES = 8192
MAX_NAME_LENGTH = 80

_MIME_TO_TYPE = {
    "application/pdf": FileType.PDF,
    "image/jpeg": FileType.JPEG,
    "image/png": FileType.PNG,
    "image/webp": FileType.WEBP,
}
_PIL_FORMATS = {FileType.JPEG: "JPEG", FileType.PNG: "PNG", FileType.WEBP: "WEBP"}
_EXECUTABLE_MIMES = {
    "application/x-msdownload",
    "application/x-executable",
    "application/x-sharedlib",
    "application/x-mach-binary",
    "application/vnd.microsoft.portable-executable",
}
_EXECUTABLE_MAGIC = (
    b"MZ",  # Windows PE / DOS
    b"\x7fELF",  # Linux ELF
    b"#!",  # scripts with an interpreter line
    b"\xfe\xed\xfa\xce",  # Mach-O
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",  # Mach-O universal / Java class
    b"dex\n",  # Android
)
_UNSAFE_NAME_CHARS = re.compile(r"[^\w \-+()\[\]&,!=@#~]")


@dataclass(frozen=True)
class CleanFile:
    """An accepted upload: the bytes to store and what is known about them."""

    name: str
    file_type: str
    content: bytes
    #: SHA-256 of the file as it was uploaded (differs from ``sha256`` when cleaned).
    original_sha256: str = ""
    #: What was removed from a PDF (for the audit trail); empty if nothing.
    removed: tuple = ()

    @property
    def size(self):
        return len(self.content)

    @property
    def sha256(self):
        return hashlib.sha256(self.content).hexdigest()


def refuse(code, detail):
    return ProtocolError(code, detail, field="file")


def sanitise_filename(raw, file_type):
    """A harmless display and download name with the extension of the real type.

    Path parts, control and bidi characters (e.g. a right-to-left override that
    makes ``exe.pdf`` look like ``fdp.exe``) and shell or HTML metacharacters are
    removed; the name is cut to 80 characters; the extension always matches the
    detected type.
    """
    name = unicodedata.normalize("NFC", str(raw or ""))
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] not in ("C", "Z") or ch == " ")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = _UNSAFE_NAME_CHARS.sub("_", stem.replace(".", "_"))
    stem = re.sub(r"_{2,}", "_", re.sub(r"\s+", " ", stem)).strip(" _-")[:MAX_NAME_LENGTH].rstrip(" _-")
    if not stem:
        stem = _("attachment")
    return f"{stem}.{extension(file_type)}"


def detect_type(head):
    """The :class:`FileType` of a file from its first bytes, ``"executable"`` for
    programs, or ``None``."""
    if head.startswith(_EXECUTABLE_MAGIC):
        return "executable"
    kind = filetype.guess(head)
    if kind is None:
        return None
    if kind.mime in _EXECUTABLE_MIMES:
        return "executable"
    return _MIME_TO_TYPE.get(kind.mime)


#: Room for the multipart envelope and the other fields around an uploaded file.
MULTIPART_OVERHEAD = 64 * 1024


def upload_body_limit():
    """Largest request body of an upload endpoint, whatever a department allows."""
    return buergerchat_settings.MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD


def check_size(size, department):
    limit = min(department.max_attachment_bytes, buergerchat_settings.MAX_UPLOAD_BYTES)
    if size > limit:
        raise ProtocolError(
            "attachment_too_large",
            _("The file is too large: %(size)s MB. At most %(limit)s MB are allowed.")
            % {"size": _megabytes(size), "limit": _megabytes(limit)},
            field="file",
        )
    return limit


def _megabytes(size):
    return f"{size / (1024 * 1024):.1f}".replace(".", ",") if size % (1024 * 1024) else str(size // (1024 * 1024))


def inspect_upload(uploaded, department):
    """Check and clean an uploaded file (a Django ``UploadedFile``) for ``department``.

    Returns a :class:`CleanFile` or raises :class:`ProtocolError`.
    """
    allowed = list(department.attachment_types)
    if not allowed:
        raise refuse("attachments_disabled", _("This department does not accept attachments."))
    if uploaded.size == 0:
        raise refuse("attachment_empty", _("The file is empty."))
    check_size(uploaded.size, department)
    uploaded.seek(0)
    content = uploaded.read()
    original_sha256 = hashlib.sha256(content).hexdigest()
    if len(content) != uploaded.size:  # the size announced by the client lied
        check_size(len(content), department)
    detected = detect_type(content[:HEAD_BYTES])
    if detected == "executable":
        raise refuse(
            "attachment_executable",
            _("Programs cannot be sent, whatever their name. Allowed are: %(types)s.") % {"types": labels(allowed)},
        )
    if detected is None or detected not in allowed:
        raise refuse(
            "attachment_type",
            _("This file type is not accepted. Allowed are: %(types)s.") % {"types": labels(allowed)},
        )
    removed = ()
    if detected == FileType.PDF:
        check_pdf(content)
        content, removed = clean_pdf(content, department)
    elif detected in IMAGE_TYPES:
        content = reencode_image(content, detected)
    return CleanFile(
        name=sanitise_filename(uploaded.name, detected),
        file_type=str(detected),
        content=content,
        original_sha256=original_sha256,
        removed=tuple(removed),
    )


def clean_pdf(content, department):
    """``(content, removed)``: the PDF without active content, or a refusal if the
    department refuses such PDFs. A PDF without active content stays unchanged."""
    try:
        cleaned, removed = remove_active_content(content)
    except pikepdf.PdfError:
        raise refuse("attachment_damaged", _("The file is damaged and cannot be opened.")) from None
    if removed and department.pdf_active_content == PdfActiveContent.REFUSE:
        raise refuse(
            "attachment_active_content",
            _(
                "The PDF file contains active content (scripts, automatic actions or embedded files) and is "
                "not accepted. Please print it to a new PDF, or scan it, and send that."
            ),
        )
    return cleaned, removed


def check_pdf(content):
    try:
        with pikepdf.open(io.BytesIO(content)) as pdf:
            if len(pdf.pages) == 0:
                raise refuse("attachment_damaged", _("The PDF file has no pages."))
    except pikepdf.PasswordError:
        raise refuse(
            "attachment_encrypted", _("The PDF file is protected by a password. Please send it without a password.")
        ) from None
    except pikepdf.PdfError:
        raise refuse("attachment_damaged", _("The file is damaged and cannot be opened.")) from None


def reencode_image(content, file_type):
    """Decode and re-encode an image: no EXIF/GPS, no comments, orientation applied."""
    limit = buergerchat_settings.MAX_IMAGE_PIXELS
    damaged = refuse("attachment_damaged", _("The file is damaged and cannot be opened."))
    too_big = refuse(
        "attachment_too_many_pixels",
        _("The image is too large: at most %(megapixels)d megapixels are allowed.") % {"megapixels": limit // 1_000_000},
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(content), formats=[_PIL_FORMATS[file_type]]) as image:
                width, height = image.size
                if width * height > limit:
                    raise too_big
                image.load()
                cleaned = ImageOps.exif_transpose(image)
                return _encode(cleaned, file_type, image.info)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise too_big from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise damaged from None


def _encode(image, file_type, info):
    # A copy without ``info`` holds the pixels only: EXIF, XMP, text chunks and
    # comments stay behind. Kept: the colour profile and PNG transparency.
    pixels = image.copy()
    pixels.info = {}
    if file_type == FileType.JPEG and pixels.mode not in ("RGB", "L", "CMYK"):
        pixels = pixels.convert("RGB")
    options = {}
    if info.get("icc_profile"):
        options["icc_profile"] = info["icc_profile"]
    if file_type == FileType.PNG and "transparency" in info and pixels.mode in ("P", "L", "RGB"):
        options["transparency"] = info["transparency"]
    if file_type == FileType.JPEG:
        options.update(quality=90)
    elif file_type == FileType.WEBP:
        options.update(quality=90)
    out = io.BytesIO()
    pixels.save(out, format=_PIL_FORMATS[file_type], **options)
    return out.getvalue()
