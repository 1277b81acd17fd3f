"""Validators of the models: names and titles without control characters, and the
widget's brand colour (WCAG contrast, the validator the site setting uses, and the
small stylesheet that applies the colour: a stylesheet, not a style attribute,
because of the strict Content Security Policy)."""

import math
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

def validate_no_control_characters(value):
    """Refuse control characters (CR, LF, tab, NUL, escape …) and line or paragraph
    separators in a one-line name or title: such values end up in iCalendar feeds,
    e-mail subjects, PDF transcripts and HTTP headers, where a line break could
    start a new property or header."""
    if any(unicodedata.category(char) in ("Cc", "Zl", "Zp") for char in str(value or "")):
        raise ValidationError(
            _("Line breaks, tabs and other control characters are not allowed here."), code="control_characters"
        )


HEX_COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")

# WCAG 2.x, success criterion 1.4.3 (level AA) for normal text.
MIN_CONTRAST = 4.5

# What the widget draws on, or in, the brand colour (widget.css, ``--bc-accent``):
# the white text of the buttons and of the launcher on the brand colour, and links and
# secondary buttons in the brand colour on the white widget surface. Both are the pair
# brand colour / white; accent-coloured text is never drawn on the grey boxes.
WIDGET_TEXT_ON_BRAND = "#ffffff"


def relative_luminance(colour):
    """WCAG 2.x relative luminance of ``#rrggbb``."""
    colour = colour.lstrip("#")
    channels = []
    for i in (0, 2, 4):
        c = int(colour[i : i + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    red, green, blue = channels
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first, second):
    """The WCAG contrast ratio of two colours, from 1.0 to 21.0."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def format_ratio(ratio):
    """Two decimals, rounded down (a ratio just below 4.5 is never shown as "4.50"),
    with the active language's decimal separator ("4,47" in German)."""
    return number_format(math.floor(ratio * 100) / 100, decimal_pos=2)


def validate_brand_colour(value):
    """Refuse a colour that is not ``#rrggbb`` or whose contrast with the widget's white
    button text is below 4.5:1; the message names the measured ratio."""
    if not value:
        return
    if not HEX_COLOUR_RE.match(value):
        raise ValidationError(
            _("Enter the colour as # and six hexadecimal digits, e.g. #004b87."), code="invalid_colour"
        )
    ratio = contrast_ratio(value, WIDGET_TEXT_ON_BRAND)
    if ratio < MIN_CONTRAST:
        raise ValidationError(
            _(
                "The contrast of %(colour)s with the white text of the chat buttons is %(ratio)s:1; "
                "at least %(minimum)s:1 is required (WCAG 2.1, 1.4.3). Please choose a darker colour."
            ),
            code="low_contrast",
            params={"colour": value, "ratio": format_ratio(ratio), "minimum": number_format(MIN_CONTRAST, decimal_pos=1)},
        )
