"""Safe formatting of message text: clickable links, line breaks, simple lists.

What is stored stays the raw text the person typed. How it is shown is decided
here, once, for every place that shows it:

* :func:`parse` turns the text into *blocks*, a small JSON-safe structure that the
  message payloads carry (``"blocks"``, docs/protocol.md). The widget and the admin
  build DOM nodes from it (``static/…/js/lib/format.js``: ``createElement`` and
  ``textContent`` only, never ``innerHTML``).
* :func:`render_html` turns blocks into HTML for the templates (the admin's
  conversation view) and the PDF transcript; every text goes through
  :func:`~django.utils.html.escape`.

So the rules (what a link is, where it ends, what a list is) live in one place and
the widget, the admin and the PDF cannot disagree. Recognised, and nothing else:

* ``http://`` and ``https://`` addresses with a host name become links
  (``rel="noopener noreferrer nofollow"``, a new tab), the full address as
  typed is the link's text. Punctuation that ends a sentence (``.,;:!?``) and
  closing brackets without an opening one are not part of the address. Every
  other scheme (``javascript:``, ``data:``, ``mailto:`` …) stays text.
* Lines that start with ``- `` or ``* `` form a bulleted list; lines that start
  with a number of one to three digits and ``. `` or ``) `` a numbered list (the
  numbers as typed). Up to three spaces before the marker are allowed.
* Every other line break is kept.
"""

import re
from urllib.parse import urlsplit, urlunsplit

from django.utils.encoding import iri_to_uri
from django.utils.html import escape
from django.utils.safestring import mark_safe

LINK_REL = "noopener noreferrer nofollow"
#: Longer addresses stay text (links are built for people, not for data dumps).
MAX_URL_LENGTH = 2048

# No whitespace, no quotes or angle brackets (they end an address in running text
# and in HTML), no characters that RFC 3986 forbids, no typographic quotes.
_URL = re.compile(r"(?<![\w/])https?://[^\s<>\"'`{}|\\^«»‘’‚‛“”„‟‹›]+", re.IGNORECASE)
_HOST = re.compile(r"(?:[\w-]+\.)*[\w-]+\.?")
_IPV6 = re.compile(r"[0-9a-f:.]*:[0-9a-f:.]*")
_TRAILING = ".,;:!?*_~"
_PAIRS = {")": "(", "]": "["}
_BULLET = re.compile(r" {0,3}[-*] +(?=\S)(.*)")
_NUMBERED = re.compile(r" {0,3}(\d{1,3})[.)] +(?=\S)(.*)")


def _trim(url):
    """The address without the punctuation that follows it in a sentence."""
    while url:
        last = url[-1]
        if last in _TRAILING:
            url = url[:-1]
        elif last in _PAIRS and url.count(last) > url.count(_PAIRS[last]):
            url = url[:-1]
        else:
            break
    return url


def _href(url):
    """The link target of ``url``, or ``None`` if it is not a usable web address."""
    if len(url) > MAX_URL_LENGTH:
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is no number
    except ValueError:  # e.g. an unbalanced "[" in the host
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    if not (_HOST.fullmatch(host) or _IPV6.fullmatch(host)):
        return None
    if not parts.netloc.isascii():  # an internationalised domain name: punycode
        try:
            ascii_host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return None
        userinfo, at, _hostport = parts.netloc.rpartition("@")
        port = f":{parts.port}" if parts.port is not None else ""
        url = urlunsplit(parts._replace(netloc=f"{userinfo}{at}{ascii_host}{port}"))
    return iri_to_uri(url)


def parse_inline(text):
    """A line as a list of parts: strings (text) and ``{"href", "text"}`` (links)."""
    parts, position = [], 0
    for match in _URL.finditer(text):
        url = _trim(match.group(0))
        href = _href(url)
        if href is None:
            continue
        start = match.start()
        if start > position:
            parts.append(text[position:start])
        parts.append({"href": href, "text": url})
        position = start + len(url)
    if position < len(text):
        parts.append(text[position:])
    return parts


def _list_item(line):
    """``("ul", None, rest)``, ``("ol", number, rest)`` or ``None`` for a plain line."""
    bullet = _BULLET.fullmatch(line)
    if bullet:
        return "ul", None, bullet.group(1)
    numbered = _NUMBERED.fullmatch(line)
    if numbered:
        return "ol", int(numbered.group(1)), numbered.group(2)
    return None


def parse(text):
    """The blocks of a message text (JSON-safe):

    ``{"type": "p", "lines": [line, …]}``, ``{"type": "ul", "items": [line, …]}`` and
    ``{"type": "ol", "items": [line, …], "numbers": [int, …]}``, where each line is
    a list of parts (:func:`parse_inline`). Empty lines at the start and end of a
    paragraph are dropped; the ones inside it are kept.
    """
    lines = str(text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks = []
    paragraph = []

    def end_paragraph():
        while paragraph and not paragraph[0].strip():
            paragraph.pop(0)
        while paragraph and not paragraph[-1].strip():
            paragraph.pop()
        if paragraph:
            blocks.append({"type": "p", "lines": [parse_inline(line) for line in paragraph]})
        paragraph.clear()

    for line in lines:
        item = _list_item(line)
        if item is None:
            paragraph.append(line)
            continue
        kind, number, rest = item
        end_paragraph()
        if not blocks or blocks[-1]["type"] != kind:
            blocks.append({"type": kind, "items": []} if kind == "ul" else {"type": kind, "items": [], "numbers": []})
        blocks[-1]["items"].append(parse_inline(rest))
        if kind == "ol":
            blocks[-1]["numbers"].append(number)
    end_paragraph()
    return blocks


def _identity(text):
    return text


def _inline_html(parts, clean):
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(escape(clean(part)))
        else:
            out.append(
                f'<a href="{escape(part["href"])}" rel="{LINK_REL}" target="_blank">{escape(clean(part["text"]))}</a>'
            )
    return "".join(out)


def render_html(blocks, *, clean=None):
    """Safe HTML of ``blocks`` (from :func:`parse`), without whitespace between the
    elements (message bodies are shown with ``white-space: pre-wrap``).

    ``clean``: a function applied to every text before it is escaped (the PDF's
    :class:`~buergerchat_wagtail.files.fonts.TextGuard`); link targets are not changed.
    """
    clean = clean or _identity
    out = []
    for block in blocks:
        if block["type"] == "p":
            out.append("<p>" + "<br>".join(_inline_html(line, clean) for line in block["lines"]) + "</p>")
        elif block["type"] == "ul":
            out.append("<ul>" + "".join(f"<li>{_inline_html(item, clean)}</li>" for item in block["items"]) + "</ul>")
        elif block["type"] == "ol":
            numbers = block["numbers"]
            items = "".join(
                f'<li value="{number}">{_inline_html(item, clean)}</li>' for number, item in zip(numbers, block["items"])
            )
            start = f' start="{numbers[0]}"' if numbers[0] != 1 else ""
            out.append(f"<ol{start}>{items}</ol>")
    return mark_safe("".join(out))  # noqa: S308 - every text above is escaped


def format_text(text, *, clean=None):
    """Safe HTML of a message text: :func:`render_html` of :func:`parse`."""
    return render_html(parse(text), clean=clean)
