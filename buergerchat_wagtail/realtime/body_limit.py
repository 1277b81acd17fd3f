"""Request body limits for the Bürgerchat's HTTP endpoints, as an ASGI middleware
around the site's HTTP application (see demo_site/asgi.py and docs/install.md)::

    application = ProtocolTypeRouter({"http": BodySizeLimit(django_asgi_app), ...})

Django reads a whole body before any view can look at its size. The middleware
decides before the application sees a byte: a ``Content-Length`` over the limit is
answered with 413 at once, and a body without one (chunked) is counted while it
arrives and cut off with 413 at the limit; the application is then told the client
went away and never sees the rest.

The limits: ``MAX_UPLOAD_BYTES`` plus the multipart overhead for the two upload
endpoints (the citizen API's and the staff's), ``MAX_REQUEST_BYTES`` for every other
Bürgerchat URL (the public ``buergerchat`` namespace and the inbox). Other URLs of
the site pass unchanged.

An ASGI server that buffers whole bodies before it calls the application (daphne
does) has received them by then: the 413 still comes before Django reads, stores or
parses anything. ``buergerchat_daphne`` (``realtime.daphne_guard``) applies the same
``body_limit`` inside daphne's HTTP parser and stops the transfer itself, as the
reverse proxy's limit (nginx ``client_max_body_size``, docs/deployment.md) does.
"""

import json

from django.conf import settings
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.translation import gettext as _

from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.files.uploads import upload_body_limit
from buergerchat_wagtail.protocol.frames import ProtocolError

#: URL namespaces of the Bürgerchat (public URLs and the staff inbox).
NAMESPACES = {"buergerchat", "buergerchat_inbox"}
#: The endpoints that take files.
UPLOAD_VIEWS = {"buergerchat:buergerchat-api:upload_attachment", "buergerchat_inbox:upload"}


def body_limit(path):
    """Largest body in bytes for a request path, or ``None`` (not a Bürgerchat URL)."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if match.view_name in UPLOAD_VIEWS:
        return upload_body_limit()
    if NAMESPACES.intersection(match.namespaces):
        return buergerchat_settings.MAX_REQUEST_BYTES
    return None


def _content_length(scope):
    for name, value in scope.get("headers") or ():
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _too_large(limit):
    with translation.override(settings.LANGUAGE_CODE):
        error = ProtocolError(
            "request_too_large",
            _("The request is too large: at most %(limit)s KB are allowed.") % {"limit": limit // 1024},
        )
        return json.dumps(error.as_frame()).encode("utf-8")


class BodySizeLimit:
    """ASGI middleware: 413 for request bodies over the Bürgerchat's limits."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope["path"].removeprefix(scope.get("root_path") or "") or "/"
        limit = body_limit(path)
        if limit is None:
            return await self.app(scope, receive, send)
        length = _content_length(scope)
        if length is not None and length > limit:
            return await self.refuse(send, limit)

        received = 0
        state = {"started": False, "refused": False}

        async def counting_receive():
            nonlocal received
            if state["refused"]:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit and not state["started"]:
                    state["refused"] = True
                    await self.refuse(send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message):
            if state["refused"]:
                return
            state["started"] = True
            await send(message)

        await self.app(scope, counting_receive, guarded_send)

    @staticmethod
    async def refuse(send, limit):
        body = _too_large(limit)
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"cache-control", b"no-store"),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
