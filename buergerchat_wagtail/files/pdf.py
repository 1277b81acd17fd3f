"""PDF/A-3b transcripts rendered by WeasyPrint from a Django template.

Safety: every user text goes through Django's autoescaping, and WeasyPrint gets a
:class:`RestrictedURLFetcher` that answers only the resources this module hands
it (the city's logo and the transcript fonts of :mod:`.fonts`) and refuses
everything else: no HTTP, no ``file://``, no ``data:``. So even markup that
slipped through could not make the server fetch a URL or read a local file.

PDF/A: every text is cleaned by :class:`.fonts.TextGuard`, so no character is
shown that the embedded fonts lack, and :func:`.pdfa.fix_embedded_files` repairs
the embedded files' names and the catalog's ``/AF`` after WeasyPrint.
"""

import io
import logging
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from PIL import Image
from wagtail.models import Site
from weasyprint import CSS, HTML
from weasyprint import Attachment as PdfAttachment
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from buergerchat_wagtail import __version__
from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.conversations import formatting
from buergerchat_wagtail.conversations.payloads import (
    message_attachment,
    staff_display_name,
)
from buergerchat_wagtail.files import fonts
from buergerchat_wagtail.files.pdfa import fix_embedded_files
from buergerchat_wagtail.files.storage import private_storage
from buergerchat_wagtail.models import (
    BuergerchatSiteSettings,
    ScanStatus,
    SenderType,
    TranscriptKind,
)

logger = logging.getLogger(__name__)

PDF_VARIANT = "pdf/a-3b"
BERLIN = ZoneInfo("Europe/Berlin")
CSS_PATH = Path(__file__).resolve().parent.parent / "static" / "buergerchat_wagtail" / "css" / "transcript.css"
LOGO_URL = "buergerchat-resource:logo"
LOGO_MAX_PIXELS = 600


class RestrictedURLFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that fetches nothing from outside.

    ``resources`` maps the few internal URLs the template uses to
    ``(bytes, content type)``; the fonts of :data:`.fonts.FACES` are answered by
    their ``buergerchat-font:`` URLs. Any other URL is refused and remembered in
    ``blocked`` (the URL itself is not logged: it may come from a message).
    """

    def __init__(self, resources=None):
        super().__init__(allowed_protocols=(), allow_redirects=False)
        self.resources = dict(resources or {})
        self.blocked = []
        self.served = []

    def fetch(self, url, headers=None):
        resource = self.resources.get(url)
        if resource is None and url.startswith(fonts.FONT_URL_PREFIX):
            font = fonts.font_file(url)
            resource = (font, "font/ttf") if font is not None else None
        if resource is None:
            self.blocked.append(url)
            logger.warning("transcript rendering: refused to fetch an external resource")
            raise ValueError("fetching resources is disabled for transcripts")
        self.served.append(url)
        body, content_type = resource
        return URLFetcherResponse(url, body, {"Content-Type": content_type})


def css_string(value):
    """``value`` as the inside of a double-quoted CSS string."""
    return "".join(ch if ch.isalnum() or ch in " .,:-()" else f"\\{ord(ch):x} " for ch in str(value))


def berlin(value):
    return timezone.localtime(value, BERLIN) if value else None


def format_time(value):
    return date_format(berlin(value), "d.m.Y, H:i:s") if value else ""


@dataclass
class Branding:
    city_name: str
    logo: bytes | None  # PNG


def site_branding():
    """City name and logo from the Wagtail site setting of the default site."""
    site = Site.objects.filter(is_default_site=True).first()
    city_name = getattr(settings, "WAGTAIL_SITE_NAME", "") or ""
    logo = None
    if site is not None:
        city_name = site.site_name or city_name
        branding = BuergerchatSiteSettings.for_site(site)
        city_name = branding.city_name or city_name
        if branding.logo_id:
            logo = logo_png(branding.logo)
    return Branding(city_name=city_name, logo=logo)


def logo_png(image):
    """The logo as a small PNG (read from the image's own storage, never fetched)."""
    try:
        with image.file.open("rb") as fileobj, Image.open(fileobj) as logo:
            logo.thumbnail((LOGO_MAX_PIXELS, LOGO_MAX_PIXELS))
            out = io.BytesIO()
            logo.convert("RGBA" if logo.mode in ("RGBA", "LA", "P") else "RGB").save(out, format="PNG")
            return out.getvalue()
    except (OSError, ValueError, Image.DecompressionBombError):
        logger.warning("transcript logo (image %s) could not be read", image.pk)
        return None


def author_for(message, kind, conversation, department_name):
    if message.sender == SenderType.CITIZEN:
        return conversation.citizen_name or _("Citizen")
    if message.sender == SenderType.STAFF and kind == TranscriptKind.ARCHIVE:
        return f"{staff_display_name(message.author)} ({department_name})"
    return department_name


def attachment_row(attachment, guard):
    return {
        "id": attachment.pk,
        "name": guard.clean(attachment.name),
        "file_name": attachment.name,
        "size": attachment.size,
        "size_label": filesizeformat(attachment.size),
        "sha256": attachment.sha256,
        "status": attachment.status,
        "status_label": attachment.status_label,
        "malware_checked": attachment.malware_checked,
        "embedded": attachment.status == ScanStatus.CLEAN,
        "file_type": attachment.file_type,
        "storage_name": attachment.storage_name,
    }


def unique_name(name, used):
    candidate, number = name, 2
    while candidate in used:
        stem, dot, ext = name.rpartition(".")
        candidate = f"{stem} ({number}).{ext}" if dot else f"{name} ({number})"
        number += 1
    used.add(candidate)
    return candidate


def render_transcript(conversation, messages, *, kind, branding=None, created_at=None, language=None):
    """Render a transcript and return ``(pdf_bytes, info)``.

    ``messages`` is an iterable of the messages to include: callers pass
    ``transcripts.citizen_visible_messages(conversation)``. ``info`` has
    ``message_count``, ``attachment_count``, ``last_message_id``,
    ``last_message_at`` and the fetcher's ``blocked`` URLs. ``language``: the
    transcript's language (default ``BUERGERCHAT["PDF_LANGUAGE"]``).
    """
    language = language or buergerchat_settings.PDF_LANGUAGE
    branding = branding or site_branding()
    created_at = created_at or timezone.now()
    guard = fonts.TextGuard()
    clean = guard.clean
    with translation.override(language):
        department = conversation.department
        department_name = clean(department.name)
        city_name = clean(branding.city_name)
        rows, attachments = [], []
        last_id, last_at = 0, None
        for message in messages:
            attachment = message_attachment(message)
            row_attachment = attachment_row(attachment, guard) if attachment is not None else None
            if row_attachment:
                attachments.append(row_attachment)
            body = clean(message.body)
            rows.append(
                {
                    "sender": message.sender,
                    "author": clean(author_for(message, kind, conversation, department.name)),
                    "body": body,
                    # Links, line breaks and lists as in the widget and the admin (formatting.py);
                    # the guard cleans every text, link targets stay as they are.
                    "body_html": formatting.format_text(message.body, clean=clean) if body else "",
                    "dir": fonts.first_strong_direction(body),
                    "time": format_time(message.created_at),
                    "attachment": row_attachment,
                }
            )
            last_id, last_at = message.pk, message.created_at
        kind_label = TranscriptKind(kind).label
        title = clean(_("Chat transcript %(reference)s") % {"reference": conversation.reference})
        resources = {}
        if branding.logo:
            resources[LOGO_URL] = (branding.logo, "image/png")
        context = {
            "language": language,
            "title": title,
            "city_name": city_name,
            "logo_url": LOGO_URL if branding.logo else "",
            "conversation": conversation,
            "department_name": department_name,
            "subject": clean(conversation.subject),
            "status_label": clean(conversation.get_status_display()),
            "messages": rows,
            "message_count": len(rows),
            "attachments": attachments,
            "started": format_time(conversation.created_at),
            "last_message_time": format_time(last_at),
            "created": format_time(created_at),
            "created_iso": berlin(created_at).isoformat(),
            "kind_label": kind_label,
            "version": __version__,
            "footer_left_css": css_string(f"{city_name} · {conversation.reference}"),
            "page_label_css": css_string(_("Page")),
            "of_label_css": css_string(_("of")),
        }
        html = render_to_string("buergerchat_wagtail/pdf/transcript.html", context)
        pdf_attachments = embedded_files(attachments)
    fetcher = RestrictedURLFetcher(resources)
    pdf = html_to_pdf(html, fetcher=fetcher, attachments=pdf_attachments, font_css=guard.css())
    if guard.replaced:
        logger.info(
            "transcript of conversation %s: %d characters without a font shown as a marker",
            conversation.pk,
            guard.replaced,
        )
    info = {
        "message_count": len(rows),
        "attachment_count": len(attachments),
        "last_message_id": last_id,
        "last_message_at": last_at,
        "blocked": list(fetcher.blocked),
        "replaced_characters": guard.replaced,
    }
    return pdf, info


def embedded_files(attachments):
    """WeasyPrint attachments for every clean file (infected ones were deleted).
    The MIME type follows from the sanitised name, whose extension is the real type."""
    storage = private_storage()
    used, files = set(), []
    for row in attachments:
        if not row["embedded"]:
            continue
        with storage.open(row["storage_name"], "rb") as fileobj:
            content = fileobj.read()
        files.append(
            PdfAttachment(
                string=content,
                name=unique_name(row["file_name"], used),
                description=f"{row['file_name']} (SHA-256 {row['sha256']})",
                relationship="Supplement",
            )
        )
    return files


def html_to_pdf(html, *, fetcher=None, attachments=(), font_css=None):
    """HTML to PDF/A-3b bytes with the restricted fetcher, the transcript fonts
    (``font_css``: :meth:`.fonts.TextGuard.css`; default: the base fonts) and
    the transcript CSS. ``html``'s text must have been cleaned by the guard."""
    fetcher = fetcher or RestrictedURLFetcher()
    attachments = list(attachments)
    font_config = FontConfiguration()
    document = HTML(string=html, base_url=None, url_fetcher=fetcher)
    font_faces = CSS(
        string=fonts.TextGuard().css() if font_css is None else font_css,
        url_fetcher=fetcher,
        font_config=font_config,
    )
    stylesheet = CSS(filename=str(CSS_PATH), url_fetcher=fetcher, font_config=font_config)
    pdf = document.write_pdf(
        stylesheets=[font_faces, stylesheet],
        pdf_variant=PDF_VARIANT,
        attachments=attachments,
        custom_metadata=True,
        font_config=font_config,
    )
    return fix_embedded_files(pdf) if attachments else pdf
