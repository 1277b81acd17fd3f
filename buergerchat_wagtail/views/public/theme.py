"""The site's brand colour as a stylesheet (CSP: no inline styles)."""

from django.http import HttpResponse
from django.views.decorators.http import require_GET

from buergerchat_wagtail.models import BuergerchatSiteSettings
from buergerchat_wagtail.models.validators import HEX_COLOUR_RE


@require_GET
def theme_css(request):
    """``--bc-accent`` for the widget and the chat button. The ``c`` query parameter
    (the colour) only makes a changed colour a new URL for caches; the colour itself
    always comes from the site's Bürgerchat settings."""
    colour = BuergerchatSiteSettings.for_request_or_default(request).brand_colour
    css = "/* Bürgerchat: brand colour of this site (Bürgerchat settings). */\n"
    if colour and HEX_COLOUR_RE.match(colour):
        # "html .bc-widget" outranks widget.css's ".bc-widget", wherever the links are.
        css += "html .bc-widget, html .bc-launcher { --bc-accent: %s; }\n" % colour.lower()
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "public, max-age=3600"
    return response
