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

import collections
import concurrent.futures
import contextlib
import io
import logging
import multiprocessing
import os
import threading
import time
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from PIL import Image
from wagtail.models import Site
from weasyprint import Attachment as PdfAttachment

from buergerchat_wagtail import __version__
from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.conversations import formatting
from buergerchat_wagtail.conversations.payloads import (
    message_attachment,
    staff_display_name,
)
from buergerchat_wagtail.files import fonts
from buergerchat_wagtail.files.pdf_render import (  # noqa: F401 (used from here by callers and tests)
    CSS_PATH,
    PDF_VARIANT,
    RestrictedURLFetcher,
    html_to_pdf,
    join_parts,
    page_style,
    render_footers,
    render_part,
    warm_up,
)
from buergerchat_wagtail.files.storage import private_storage
from buergerchat_wagtail.models import (
    BuergerchatSiteSettings,
    ScanStatus,
    SenderType,
    TranscriptKind,
)

logger = logging.getLogger(__name__)

BERLIN = ZoneInfo("Europe/Berlin")
LOGO_URL = "buergerchat-resource:logo"
LOGO_MAX_PIXELS = 600


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


def render_transcript(conversation, messages, *, kind, branding=None, created_at=None, language=None, parallel=True):
    """Render a transcript and return ``(pdf_bytes, info)``.

    ``messages`` is an iterable of the messages to include: callers pass
    ``transcripts.citizen_visible_messages(conversation)``. ``info`` has
    ``message_count``, ``attachment_count``, ``last_message_id``,
    ``last_message_at`` and the fetcher's ``blocked`` URLs. ``language``: the
    transcript's language (default ``BUERGERCHAT["PDF_LANGUAGE"]``).

    More than ``BUERGERCHAT["PDF_CHUNK_SIZE"]`` messages are rendered in parts,
    each from a new page, in worker processes (:func:`render_parts`);
    ``parallel=False`` renders the same pages in one piece in this process.
    """
    language = language or buergerchat_settings.PDF_LANGUAGE
    branding = branding or site_branding()
    created_at = created_at or timezone.now()
    guard = fonts.TextGuard()
    clean = guard.clean
    chunk_size = buergerchat_settings.PDF_CHUNK_SIZE if parallel else 0
    with translation.override(language), contextlib.closing(PartPool()) as part_pool:
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
            if chunk_size and len(rows) == chunk_size + 1:
                part_pool.start()  # a long transcript: the workers start while the rest is read
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
        }
        footer = (css_string(f"{city_name} · {conversation.reference}"), css_string(_("Page")), css_string(_("of")))
        parts = split_parts(rows, buergerchat_settings.PDF_CHUNK_SIZE)
        if len(parts) > 1 and parallel:
            part_pool.start()
            pdf, blocked = render_parts(part_pool, parts, context, footer, resources, attachments, guard.css(), language)
        else:
            for part in parts[1:]:
                part[0]["part_start"] = True  # the same pages as the parts, in one piece
            html = render_to_string(
                "buergerchat_wagtail/pdf/transcript.html",
                {**context, "page_style": page_style(footer), "first_part": True, "last_part": True},
            )
            pdf_attachments = embedded_files(attachments)
    if len(parts) == 1 or not parallel:
        fetcher = RestrictedURLFetcher(resources)
        pdf = html_to_pdf(html, fetcher=fetcher, attachments=pdf_attachments, font_css=guard.css())
        blocked = fetcher.blocked
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
        "blocked": list(blocked),
        "replaced_characters": guard.replaced,
    }
    return pdf, info


def embedded_file_data(attachments):
    """``(bytes, name, description)`` of every clean file (infected ones were deleted)."""
    storage = private_storage()
    used, files = set(), []
    for row in attachments:
        if not row["embedded"]:
            continue
        with storage.open(row["storage_name"], "rb") as fileobj:
            content = fileobj.read()
        files.append((content, unique_name(row["file_name"], used), f"{row['file_name']} (SHA-256 {row['sha256']})"))
    return files


def embedded_files(attachments):
    """WeasyPrint attachments for every clean file (infected ones were deleted).
    The MIME type follows from the sanitised name, whose extension is the real type."""
    return [
        PdfAttachment(string=content, name=name, description=description, relationship="Supplement")
        for content, name, description in embedded_file_data(attachments)
    ]


def split_parts(rows, size):
    """``rows`` in as few parts of at most ``size`` rows as possible, of (nearly)
    equal length so that the workers finish together; ``size`` 0: one part.
    Depends only on the rows and the setting (never on the machine's CPUs): the
    same transcript always gets the same pages."""
    if not size or len(rows) <= size:
        return [rows]
    count = -(-len(rows) // size)
    base, extra = divmod(len(rows), count)
    parts, start = [], 0
    for number in range(count):
        end = start + base + (1 if number < extra else 0)
        parts.append(rows[start:end])
        start = end
    return parts


def process_count():
    """Processes that render at once: this one and ``process_count - 1`` workers."""
    return max(1, buergerchat_settings.PDF_WORKERS or len(os.sched_getaffinity(0)))


def worker_pool(workers):
    """Worker processes started with ``spawn``: never a ``fork`` of this process,
    which may be a web server's with threads and an event loop (the demo runs jobs
    in the request with django-tasks' ImmediateBackend). The workers import only
    :mod:`.pdf_render` (WeasyPrint, no Django). ``None`` without workers."""
    if workers < 1:
        return contextlib.nullcontext()
    return concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


class PartPool:
    """The worker processes of one long transcript, started (:meth:`start`) as soon
    as it turns out to be long: each imports WeasyPrint and renders an empty page
    (:func:`.pdf_render.warm_up`) while this process reads the rest of the messages."""

    def __init__(self):
        self.pool, self.workers = None, 0

    def start(self):
        if self.pool is not None or self.workers:
            return
        self.workers = process_count() - 1
        if self.workers:
            self.pool = worker_pool(self.workers)
            for _worker in range(self.workers):
                self.pool.submit(warm_up)

    def close(self):
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


def run_jobs(pool, jobs, workers=1):
    """The results of ``jobs`` (an iterable of ``(function, args)``) in order.

    The pool's ``workers`` take the jobs from the front, one at a time each (a
    feeder thread hands a worker its next job when it is done, so no job waits in
    a worker's queue), and this process works too: it takes the jobs from the end.
    The first job goes to the pool at once, so that the worker process starts
    while the later jobs (the HTML of the later parts) are made."""
    jobs = iter(jobs)
    if pool is None:
        return [function(*args) for function, args in jobs]
    first = next(jobs, None)
    if first is None:
        return []
    running = {pool.submit(first[0], *first[1]): 0}
    jobs = [first, *jobs]
    results = [None] * len(jobs)
    waiting = collections.deque(range(1, len(jobs)))
    lock = threading.Lock()
    failed = []
    started = time.perf_counter()

    def take(front):
        with lock:
            if not waiting:
                return None
            return waiting.popleft() if front else waiting.pop()

    def feed():
        try:
            for _worker in range(workers - 1):
                number = take(front=True)
                if number is None:
                    break
                running[pool.submit(jobs[number][0], *jobs[number][1])] = number
            while running:
                done, _pending = concurrent.futures.wait(running, return_when=concurrent.futures.FIRST_COMPLETED)
                for future in done:
                    results[running.pop(future)] = future
                    number = take(front=True)
                    if number is not None:
                        running[pool.submit(jobs[number][0], *jobs[number][1])] = number
        except BaseException as error:  # noqa: BLE001 (re-raised below, in the caller's thread)
            failed.append(error)

    feeder = threading.Thread(target=feed, name="pdf-parts-feeder", daemon=True)
    feeder.start()
    here = 0
    try:
        while (number := take(front=False)) is not None:
            function, args = jobs[number]
            results[number] = function(*args)
            here += 1
            logger.debug("%s %d done here after %.2f s", function.__name__, number, time.perf_counter() - started)
    except BaseException:
        with lock:
            waiting.clear()  # the feeder hands out no more jobs
        raise
    here_seconds = time.perf_counter() - started
    feeder.join()
    if failed:
        raise failed[0]
    results = [result.result() if isinstance(result, concurrent.futures.Future) else result for result in results]
    logger.debug(
        "%d jobs: %d here (%.2f s), all done after %.2f s", len(jobs), here, here_seconds, time.perf_counter() - started
    )
    return results


def render_parts(part_pool, parts, context, footer, resources, attachments, font_css, language):
    """The transcript from its ``parts`` (lists of rows): ``(pdf bytes, blocked URLs)``.

    Each part is rendered without the page footer (in a worker process or here);
    once all page counts are known, each part's footers (its first page number,
    the total) are rendered, and :func:`.pdf_render.join_parts` lays them over the
    pages and joins the parts. The first part has the letterhead and the embedded
    files, the last one the list of attachments."""
    last = len(parts) - 1

    def jobs():
        for number, part in enumerate(parts):
            html = render_to_string(
                "buergerchat_wagtail/pdf/transcript.html",
                {**context, "messages": part, "page_style": "", "first_part": number == 0, "last_part": number == last},
            )
            files = embedded_file_data(attachments) if number == 0 else ()
            yield render_part, (html, font_css, resources, files)

    pool, workers = part_pool.pool, min(part_pool.workers, len(parts) - 1)
    results = run_jobs(pool, jobs(), workers)
    counts = [count for _pdf, count, _blocked in results]
    total, first, footer_jobs = sum(counts), 1, []
    for count in counts:
        footer_jobs.append((render_footers, (language, footer, font_css, first, count, total)))
        first += count
    footers = run_jobs(pool, footer_jobs, workers)
    blocked = [url for _pdf, _count, urls in results for url in urls]
    started = time.perf_counter()
    pdf = join_parts([pdf for pdf, _count, _blocked in results], footers)
    logger.debug("%d parts, %d pages joined in %.2f s", len(parts), total, time.perf_counter() - started)
    return pdf, blocked
