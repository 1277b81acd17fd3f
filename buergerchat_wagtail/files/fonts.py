"""The fonts of the PDF transcripts, and the characters they can show.

A PDF/A file must not show a glyph that its embedded font does not have. So the
transcript uses only the font files listed in :data:`FACES` (Debian packages
``fonts-dejavu-core``, ``fonts-dejavu-extra``, ``fonts-noto-core`` and
``fonts-symbola``), declared as ``@font-face`` rules whose URLs only the
transcript's restricted URL fetcher answers (:func:`font_file` reads them), and
every text goes through :meth:`TextGuard.clean` first: a character that none of
these files has (read from their ``cmap`` tables with fontTools) becomes
:data:`MARKER`, and invisible format characters without a glyph are dropped.

The family order of transcript.css is the order of :data:`FAMILIES`; Pango takes
a character from the first family that has it. The Arabic family comes first but
is declared only for the Arabic characters its file has (``unicode-range``), so
Arabic text is set in Noto Sans Arabic and everything else in DejaVu Sans.
"""

import functools
import logging
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from fontTools.ttLib import TTFont, TTLibError

logger = logging.getLogger(__name__)

#: Where Debian installs the font packages.
FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/truetype/noto"),
    Path("/usr/share/fonts/truetype/ancient-scripts"),
)
FONT_URL_PREFIX = "buergerchat-font:"
#: Shown instead of a character that no transcript font has.
MARKER = "\ufffd"
MARKER_FALLBACK = "[?]"
#: The scripts that Noto Sans Arabic is used for (Arabic, Arabic Supplement,
#: Arabic Extended-A, Presentation Forms A and B).
ARABIC_RANGES = ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))
#: Characters kept even without a glyph: Pango lays them out, it never draws them.
LAYOUT_CHARACTERS = frozenset("\n\r\t")
#: Symbols are set in text presentation (U+FE0E): in emoji presentation Pango
#: prefers any colour font of the system to the family list, and colour bitmap
#: glyphs are embedded as images over empty outlines.
TEXT_PRESENTATION = "\ufe0e"
PRESENTATION_SELECTORS = frozenset("\ufe0e\ufe0f")


@dataclass(frozen=True)
class Face:
    family: str  # the CSS family in transcript.css
    file: str  # a file name in one of FONT_DIRS
    weight: str = "normal"
    style: str = "normal"
    ranges: tuple = ()  # if set, the face is used only for these code points

    @property
    def url(self):
        return FONT_URL_PREFIX + self.file


#: In the order of the CSS family list. The base families are always declared;
#: the others only when the text needs them.
FACES = (
    Face("Transcript Arabic", "NotoSansArabic-Regular.ttf", ranges=ARABIC_RANGES),
    Face("Transcript Arabic", "NotoSansArabic-Bold.ttf", weight="bold", ranges=ARABIC_RANGES),
    Face("Transcript Sans", "DejaVuSans.ttf"),
    Face("Transcript Sans", "DejaVuSans-Bold.ttf", weight="bold"),
    Face("Transcript Sans", "DejaVuSans-Oblique.ttf", style="italic"),
    Face("Transcript Sans", "DejaVuSans-BoldOblique.ttf", weight="bold", style="italic"),
    Face("Transcript Mono", "DejaVuSansMono.ttf"),
    Face("Transcript Ethiopic", "NotoSansEthiopic-Regular.ttf"),
    Face("Transcript Ethiopic", "NotoSansEthiopic-Bold.ttf", weight="bold"),
    Face("Transcript Devanagari", "NotoSansDevanagari-Regular.ttf"),
    Face("Transcript Devanagari", "NotoSansDevanagari-Bold.ttf", weight="bold"),
    Face("Transcript Thai", "NotoSansThai-Regular.ttf"),
    Face("Transcript Thai", "NotoSansThai-Bold.ttf", weight="bold"),
    Face("Transcript Emoji", "Symbola_hint.ttf"),
)
FAMILIES = tuple(dict.fromkeys(face.family for face in FACES if face.family != "Transcript Mono"))
BASE_FAMILIES = frozenset({"Transcript Sans", "Transcript Mono"})


@functools.cache
def font_path(file):
    for folder in FONT_DIRS:
        path = folder / file
        if path.is_file():
            return path
    logger.warning("transcript font %s is not installed (see docs/attachments-archive.md)", file)
    return None


@functools.cache
def font_file(url):
    """The bytes of a transcript font by its ``buergerchat-font:`` URL, or None."""
    for face in FACES:
        if face.url == url:
            path = font_path(face.file)
            return path.read_bytes() if path else None
    return None


@functools.cache
def coverage(face):
    """The code points ``face`` is used for: its file's cmap (within its ranges)."""
    path = font_path(face.file)
    if path is None:
        return frozenset()
    try:
        with TTFont(path, lazy=True) as font:
            points = set(font.getBestCmap() or {})
    except (OSError, TTLibError):
        logger.warning("transcript font %s cannot be read", face.file)
        return frozenset()
    if face.ranges:
        points = {point for point in points if any(start <= point <= end for start, end in face.ranges)}
    return frozenset(points)


@functools.cache
def family_coverage():
    """``{family: code points of its regular face}``; bold and italic faces fall
    back to the regular face of the family for what they lack."""
    families = {}
    for face in FACES:
        if face.weight == "normal" and face.style == "normal":
            families[face.family] = families.get(face.family, frozenset()) | coverage(face)
    return families


@functools.cache
def all_coverage():
    return frozenset().union(*family_coverage().values())


def unicode_range(points):
    """``points`` as a CSS unicode-range list of runs."""
    runs, start, previous = [], None, None
    for point in sorted(points):
        if start is None:
            start = previous = point
        elif point == previous + 1:
            previous = point
        else:
            runs.append((start, previous))
            start = previous = point
    if start is not None:
        runs.append((start, previous))
    return ", ".join(f"U+{a:X}" if a == b else f"U+{a:X}-{b:X}" for a, b in runs)


def invisible(ch):
    """Format characters and variation selectors: never drawn, safe to drop."""
    return unicodedata.category(ch) == "Cf" or 0xFE00 <= ord(ch) <= 0xFE0F or 0xE0100 <= ord(ch) <= 0xE01EF


def first_strong_direction(text):
    """``"rtl"`` or ``"ltr"`` by the first strong character, as HTML's
    ``dir="auto"`` decides (WeasyPrint does not implement ``auto``)."""
    for ch in text or "":
        bidi = unicodedata.bidirectional(ch)
        if bidi == "L":
            return "ltr"
        if bidi in ("R", "AL"):
            return "rtl"
    return "ltr"


@functools.cache
def classify(ch):
    """What :meth:`TextGuard.clean` does with ``ch``: ``(text, family)``, the
    text to write (``ch``, ``ch`` in text presentation, ``""`` to drop it or
    the marker) and the family that shows it."""
    if ch in LAYOUT_CHARACTERS:
        return ch, None
    if ch in PRESENTATION_SELECTORS:
        return "", None  # the guard chooses the presentation (below)
    point = ord(ch)
    for family, points in family_coverage().items():
        if point in points:
            if unicodedata.category(ch) == "So" and ord(TEXT_PRESENTATION) in all_coverage():
                return ch + TEXT_PRESENTATION, family
            return ch, family
    if invisible(ch):
        return "", None
    return None, None


class TextGuard:
    """Cleans every text of one transcript and collects the families it needs."""

    def __init__(self):
        self.families = set(BASE_FAMILIES)
        self.replaced = 0
        covered = all_coverage()
        self.marker = MARKER if ord(MARKER) in covered else MARKER_FALLBACK

    def clean(self, text):
        if not text:
            return text
        out = []
        for ch in str(text):
            written, family = classify(ch)
            if family:
                self.families.add(family)
            if written is None:
                out.append(self.marker)
                self.replaced += 1
            else:
                out.append(written)
        return "".join(out)

    def css(self):
        """``@font-face`` rules for the families this transcript needs."""
        rules = []
        for face in FACES:
            if face.family not in self.families or font_path(face.file) is None:
                continue
            rule = (
                f'@font-face {{ font-family: "{face.family}"; src: url("{face.url}"); '
                f"font-weight: {face.weight}; font-style: {face.style};"
            )
            if face.ranges:
                rule += f" unicode-range: {unicode_range(coverage(face))};"
            rules.append(rule + " }")
        return "\n".join(rules)
