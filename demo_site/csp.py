"""The demo's Content Security Policy: strict everywhere, one scoped relaxation for
the Wagtail admin (docs/deployment.md, section "Content Security Policy").

Public pages, the chat widget, its API and files get ``CONTENT_SECURITY_POLICY``
unchanged (``script-src 'self'``, no ``'unsafe-inline'``).

Wagtail 8 still writes inline ``<script>`` elements into some admin forms: the
``InlinePanel`` ("Zeitraum hinzufügen", "Ausnahme hinzufügen"), the date, time and
date-time widgets (report, archive and history filters, consultation sessions,
office-hour exceptions), the ``MultipleChooserPanel``, and the chooser modals that
filter by date. These scripts carry no nonce, and the widgets that write them are
rendered without the request, so a nonce cannot be given to them either. Below the
admin prefix, the middleware therefore allows inline ``<script>`` elements
(``script-src-elem 'self' 'unsafe-inline'``) and nothing else:

- inline event handlers and ``javascript:`` attributes stay forbidden
  (``script-src-attr 'none'``), so the usual injected ``<img onerror=…>`` still does
  not run, and ``script-src`` itself stays ``'self'`` (no ``eval``);
- styles, images, connections and frames keep the strict policy;
- the admin views that work strictly keep the strict policy even below the prefix:
  the login page and the Bürgerchat's inbox, conversation, its history and live consultations
  (``CSP_ADMIN_STRICT_VIEWS``), where case workers read what citizens wrote;
- no nonce goes into the relaxed policy: a browser that sees a nonce ignores
  ``'unsafe-inline'`` (CSP Level 2), which would break the admin again.

Settings (all optional):

``CSP_ADMIN_RELAXATION``
    the directives that replace the strict ones below the admin prefix
    (default: :data:`ADMIN_RELAXATION`)
``CSP_ADMIN_STRICT_VIEWS``
    URL names (``namespace:name``) of admin views that keep the strict policy
    (default: :data:`ADMIN_STRICT_VIEWS`)
"""

from functools import lru_cache

from csp.constants import NONE, SELF, UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.core.signals import setting_changed
from django.urls import NoReverseMatch, reverse

#: Below the admin prefix these directives replace the strict ones.
ADMIN_RELAXATION = {
    "script-src-elem": [SELF, UNSAFE_INLINE],
    "script-src-attr": [NONE],
    "style-src-elem": [SELF, UNSAFE_INLINE],
}

#: Admin views without inline scripts: they keep the strict policy.
ADMIN_STRICT_VIEWS = frozenset(
    {
        "wagtailadmin_login",
        "buergerchat_inbox:index",
        "buergerchat_inbox:index_results",
        "buergerchat_inbox:conversation",
        "buergerchat_inbox:take",
        "buergerchat_inbox:assign",
        "buergerchat_inbox:transfer",
        "buergerchat_inbox:status",
        "buergerchat_inbox:history",
        "buergerchat_consultations:index",
        "buergerchat_consultations:queue",
    }
)


@lru_cache(maxsize=1)
def admin_prefix():
    """The path below which the Wagtail admin lives (``/admin/`` in the demo)."""
    try:
        return reverse("wagtailadmin_home")
    except NoReverseMatch:
        return None


def _clear_cache(**kwargs):
    admin_prefix.cache_clear()


setting_changed.connect(_clear_cache)


def is_relaxed(request):
    """True for admin pages that get the relaxed policy."""
    prefix = admin_prefix()
    if prefix is None or not request.path_info.startswith(prefix):
        return False
    match = getattr(request, "resolver_match", None)
    strict_views = getattr(settings, "CSP_ADMIN_STRICT_VIEWS", ADMIN_STRICT_VIEWS)
    return match is None or match.view_name not in strict_views


class AdminCSPMiddleware(CSPMiddleware):
    """django-csp's middleware with the scoped admin relaxation described above.

    Replaces ``csp.middleware.CSPMiddleware`` in ``MIDDLEWARE`` (same place)."""

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if not is_relaxed(request):
            return parts
        relaxation = getattr(settings, "CSP_ADMIN_RELAXATION", ADMIN_RELAXATION)
        # A view's own @csp_replace wins over the relaxation.
        return PolicyParts(
            config=parts.config,
            update=parts.update,
            replace={**relaxation, **(parts.replace or {})},
            nonce=None,
        )
