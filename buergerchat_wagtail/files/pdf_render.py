"""HTML to PDF/A-3b with WeasyPrint, and the parts of a long transcript rendered
in worker processes and joined with pikepdf.

This module imports no Django (worker processes start with ``spawn`` and only
import it, :mod:`.fonts` and :mod:`.pdfa`); :mod:`.pdf` builds the HTML.

A long transcript is cut into parts of ``BUERGERCHAT["PDF_CHUNK_SIZE"]``
messages; each part starts on a new page (in the one-pass render of the same
transcript too, so both give the same pages). The parts are rendered without
the page footer (:func:`render_part`); once every part's page count is known,
the footer ("Seite X von Y") of each part's pages is rendered on empty pages
(:func:`render_footers`) with the part's first page number and the total, and
laid over the part's pages. :func:`join_parts` puts the pages of all parts
together in the first part's document, which has the PDF/A metadata, the output
intent and the embedded files, and carries over the later parts' bookmarks.
"""

import ctypes
import functools
import gc
import io
import logging
from pathlib import Path

import pikepdf
from weasyprint import CSS, DEFAULT_OPTIONS, HTML
from weasyprint import Attachment as PdfAttachment
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from buergerchat_wagtail.files import fonts
from buergerchat_wagtail.files.pdfa import fix_embedded_files, repair_embedded_files

logger = logging.getLogger(__name__)

PDF_VARIANT = "pdf/a-3b"
CSS_PATH = Path(__file__).resolve().parent.parent / "static" / "buergerchat_wagtail" / "css" / "transcript.css"


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


def page_style(footer, *, total=None, first_page=None):
    """The ``@page`` footer rule: ``footer`` is ``(left, page label, of label)``,
    each already a CSS string's inside (:func:`.pdf.css_string`). ``total``: the
    page count as a number instead of ``counter(pages)``; ``first_page``: the
    number of the first page instead of 1."""
    left, page_label, of_label = footer
    total_css = f'"{int(total)}"' if total is not None else "counter(pages)"
    rule = (
        f'@page {{ @bottom-left {{ content: "{left}"; }} '
        f'@bottom-right {{ content: "{page_label} " counter(page) " {of_label} " {total_css}; }} }}'
    )
    if first_page is not None:
        rule += f"\n@page :first {{ counter-reset: page {int(first_page)}; }}"
    return rule


def html_to_pdf(html, *, fetcher=None, attachments=(), font_css=None, pages=None):
    """HTML to PDF/A-3b bytes with the restricted fetcher, the transcript fonts
    (``font_css``: :meth:`.fonts.TextGuard.css`; default: the base fonts) and
    the transcript CSS. ``html``'s text must have been cleaned by the guard.
    ``pages``: a list that receives the page count."""
    attachments = list(attachments)
    pdf = html_to_pdf_raw(
        html,
        fetcher=fetcher or RestrictedURLFetcher(),
        attachments=attachments,
        font_css=fonts.TextGuard().css() if font_css is None else font_css,
        pages=pages,
    )
    return fix_embedded_files(pdf) if attachments else pdf


def html_to_pdf_raw(html, *, fetcher, attachments, font_css, pages=None):
    """:func:`html_to_pdf` without the repair of the embedded files."""
    font_config = FontConfiguration()
    font_faces = CSS(string=font_css, url_fetcher=fetcher, font_config=font_config)
    stylesheet = CSS(filename=str(CSS_PATH), url_fetcher=fetcher, font_config=font_config)
    # What HTML.write_pdf does, with the page count in between.
    options = {
        **DEFAULT_OPTIONS,
        "stylesheets": [font_faces, stylesheet],
        "pdf_variant": PDF_VARIANT,
        "attachments": list(attachments),
        "custom_metadata": True,
    }
    rendered = HTML(string=html, base_url=None, url_fetcher=fetcher).render(font_config, **options)
    if pages is not None:
        pages.append(len(rendered.pages))
    return rendered.write_pdf(**options)


# -- the parts of a long transcript (run in worker processes) --------------------


@functools.cache
def _libc():
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim  # noqa: B018 (glibc only)
    except (OSError, AttributeError):
        return None
    return libc


def release_memory():
    """Give the memory a render freed back to the system (glibc keeps freed heap
    pages otherwise): the workers and the job's process stay smaller between parts."""
    gc.collect()
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def render_part(html, font_css, resources, attachments=()):
    """One part's HTML (without the page footer) to ``(pdf bytes, page count,
    blocked URLs)``. ``attachments``: ``(bytes, name, description)`` of the files
    to embed (the first part only)."""
    fetcher = RestrictedURLFetcher(resources)
    files = [
        PdfAttachment(string=content, name=name, description=description, relationship="Supplement")
        for content, name, description in attachments
    ]
    pages = []
    # No repair of the embedded files here: join_parts repairs the joined document.
    pdf = html_to_pdf_raw(html, fetcher=fetcher, attachments=files, font_css=font_css, pages=pages)
    del html, files
    release_memory()
    return pdf, pages[0], list(fetcher.blocked)


def footer_html(language, footer, *, first_page, count, total):
    """``count`` empty pages whose footers are those of pages ``first_page`` to
    ``first_page + count - 1`` of ``total``."""
    style = page_style(footer, total=total, first_page=first_page)
    body = '<div style="break-after: page"></div>' * count
    return (
        f'<!DOCTYPE html><html lang="{language}"><head><meta charset="utf-8">'
        f"<style>\n{style}\n</style></head><body>{body}</body></html>"
    )


def render_footers(language, footer, font_css, first_page, count, total):
    """The footers of ``count`` pages from ``first_page`` of ``total`` as PDF bytes."""
    html = footer_html(language, footer, first_page=first_page, count=count, total=total)
    fetcher = RestrictedURLFetcher()
    pages = []
    pdf = html_to_pdf_raw(html, fetcher=fetcher, attachments=(), font_css=font_css, pages=pages)
    if pages[0] != count:
        raise RuntimeError(f"footer pages: {pages[0]}, expected {count}")
    return pdf


def warm_up():
    """Starts WeasyPrint in a new worker (fontconfig, Pango, the fonts): one empty page."""
    render_footers("en", ("", "", ""), fonts.TextGuard().css(), 1, 1, 1)


# -- joining ------------------------------------------------------------------------


def outline_entries(items, page_index):
    """``[(title, page number in the part, destination rest, children)]`` of an outline."""
    entries = []
    for item in items:
        destination = item.destination
        if destination is None and item.action is not None and item.action.get("/S") == "/GoTo":
            destination = item.action.get("/D")
        if isinstance(destination, pikepdf.Array) and len(destination) and destination[0].objgen in page_index:
            target, rest = page_index[destination[0].objgen], list(destination[1:])
        else:
            target, rest = None, []
        entries.append((str(item.title), target, rest, outline_entries(item.children, page_index), item.is_closed))
    return entries


def outline_items(entries, document, offset):
    items = []
    for title, target, rest, children, closed in entries:
        destination = pikepdf.Array([document.pages[offset + target].obj, *rest]) if target is not None else None
        item = pikepdf.OutlineItem(title, destination)
        item.is_closed = closed
        item.children.extend(outline_items(children, document, offset))
        items.append(item)
    return items


def join_parts(parts, footers):
    """One PDF from the parts' PDFs (``parts``) with each part's footer pages
    (``footers``, same order) laid over its pages."""
    with pikepdf.open(io.BytesIO(parts[0])) as document:
        opened = []
        later_outlines = []
        try:
            for data in parts[1:]:
                part = pikepdf.open(io.BytesIO(data))
                opened.append(part)
                page_index = {page.obj.objgen: number for number, page in enumerate(part.pages)}
                with part.open_outline() as outline:
                    later_outlines.append((len(document.pages), outline_entries(outline.root, page_index)))
                document.pages.extend(part.pages)
            offset = 0
            for data in footers:
                footer = pikepdf.open(io.BytesIO(data))
                opened.append(footer)
                for number, page in enumerate(footer.pages):
                    document.pages[offset + number].add_overlay(document.copy_foreign(page.as_form_xobject()))
                offset += len(footer.pages)
            if offset != len(document.pages):
                raise RuntimeError(f"{offset} footers for {len(document.pages)} pages")
            if any(entries for _offset, entries in later_outlines):
                with document.open_outline() as outline:
                    # The later parts' headings (h2) belong under the title (h1) of the first part.
                    parent = outline.root[-1].children if len(outline.root) else outline.root
                    for part_offset, entries in later_outlines:
                        parent.extend(outline_items(entries, document, part_offset))
            repair_embedded_files(document)
            out = io.BytesIO()
            # Object streams as WeasyPrint writes them (the pages copied from the other
            # parts would otherwise be written as plain objects: a much larger file).
            document.save(out, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        finally:
            for part in opened:
                part.close()
    return out.getvalue()
