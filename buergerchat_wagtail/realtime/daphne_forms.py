"""Under daphne, leave request bodies to Django (see demo_site/asgi.py, docs/install.md).

daphne is built on Twisted's HTTP server, whose ``Request`` parses every
``multipart/form-data`` POST body itself before daphne hands the request to the ASGI
application, and answers ``400 Bad Request`` (no headers, no body, connection closed)
when its parser refuses the body. It refuses the body of an empty ``FormData``, which
holds only the closing boundary: Wagtail's editor sends exactly that when it pings
or leaves an editing session (``/admin/editing-sessions/ping/…``), so every page
and snippet editor showed "Failed to load resource: 400" and lost its
"someone else is editing" notices. Django never saw these requests.

daphne gives the raw body to the application anyway and never uses Twisted's parsed
``args``; Django parses the body itself (and within ``DATA_UPLOAD_MAX_MEMORY_SIZE``).
:func:`leave_form_bodies_to_django` turns Twisted's parsing off for daphne's requests
(``parsePOSTFormSubmission=False``, Twisted ≥ 24.7). It changes nothing under other
ASGI servers and is safe to call more than once.
"""

import logging

logger = logging.getLogger(__name__)

_MARK = "_buergerchat_leaves_forms_to_django"


def leave_form_bodies_to_django():
    """Patch daphne's request class once; return True if daphne is installed."""
    try:
        from daphne.http_protocol import WebRequest
    except ImportError:
        return False
    if getattr(WebRequest, _MARK, False):
        return True
    original_init = WebRequest.__init__

    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        # Read by twisted.web.http.Request.requestReceived, after __init__.
        self._parsePOSTFormSubmission = False

    WebRequest.__init__ = __init__
    setattr(WebRequest, _MARK, True)
    return True
