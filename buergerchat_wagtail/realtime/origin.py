"""The WebSocket Origin check: the whole origin (scheme, host and port) must match.

Channels' ``AllowedHostsOriginValidator`` compares only the host name with
``ALLOWED_HOSTS``, so a page on ``http://127.0.0.1:9999`` (another program on the
same machine, or a plain-HTTP page of the same host) could open a staff socket
with the case worker's session cookie. :class:`OriginValidator` compares the full
origin with

* ``BUERGERCHAT["ALLOWED_ORIGINS"]`` when it is set, e.g.
  ``["https://www.musterstadt.de", "https://musterstadt.de"]`` for a site with
  several host names, or
* the socket's own origin otherwise (same origin only): the scheme of the socket
  (``wss`` is ``https``; behind a TLS proxy through ``SECURE_PROXY_SSL_HEADER``, as
  for Django's HTTP requests) and its ``Host`` header, which must be in
  ``ALLOWED_HOSTS``.

A handshake without an ``Origin`` header, or with ``Origin: null``, is refused.
Refused handshakes get HTTP 403.
"""

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

from buergerchat_wagtail.conf import buergerchat_settings

DEFAULT_PORTS = {"http": 80, "https": 443}


def parse_origin(value):
    """``(scheme, host, port)`` of an origin such as ``https://www.example.de``, with
    the default port filled in; ``None`` for anything that is not an HTTP(S) origin."""
    if not isinstance(value, str):
        return None
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc:
        return None
    return scheme, parts.hostname.lower().rstrip("."), port or DEFAULT_PORTS[scheme]


def _header(scope, name):
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _allowed_hosts():
    hosts = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not hosts:  # as Django's HttpRequest.get_host()
        hosts = [".localhost", "127.0.0.1", "[::1]"]
    return hosts


def _is_secure(scope):
    if scope.get("scheme") == "wss":
        return True
    proxy_header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy_header:
        name, expected = proxy_header
        # Django's META name (HTTP_X_FORWARDED_PROTO) back to the header name.
        header = name.removeprefix("HTTP_").replace("_", "-").lower().encode("latin-1")
        value = _header(scope, header)
        if value is not None:
            return value.split(",", 1)[0].strip() == expected
    return False


def own_origin(scope):
    """The origin of the page that may open this socket when ``ALLOWED_ORIGINS`` is
    empty: the socket's scheme and ``Host`` header; ``None`` if the host is not allowed."""
    host = _header(scope, b"host")
    domain, _port = split_domain_port(host or "")
    if not domain or not validate_host(domain, _allowed_hosts()):
        return None
    scheme = "https" if _is_secure(scope) else "http"
    return parse_origin(f"{scheme}://{host}")


def allowed_origins(scope):
    configured = buergerchat_settings.ALLOWED_ORIGINS
    if configured:
        return {origin for origin in map(parse_origin, configured) if origin}
    own = own_origin(scope)
    return {own} if own else set()


def origin_allowed(scope):
    origin = parse_origin(_header(scope, b"origin"))
    return origin is not None and origin in allowed_origins(scope)


class OriginValidator:
    """ASGI middleware for the ``websocket`` protocol: refuses (HTTP 403) a handshake
    whose ``Origin`` is not an allowed origin. Wrap the socket application in it::

        "websocket": OriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
    """

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            raise ValueError("OriginValidator is for WebSocket connections only")
        if origin_allowed(scope):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)
