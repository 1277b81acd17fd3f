"""Rate limits without storing who the client is.

A client is identified by a *keyed hash* of its address: HMAC-SHA256 with a key
derived from ``SECRET_KEY`` and today's date (UTC), so the hash changes every day
and cannot be turned back into an address without the key. Behind a reverse proxy the
address is taken from X-Forwarded-For as the trusted proxies wrote it
(:func:`client_address`, setting ``TRUSTED_PROXIES``). Hashes live only in
Django's cache, with the limit's window as expiry; nothing is written to the
database. With several workers, configure a shared cache (Redis) so the limits
count across them.

Counters are fixed windows: ``cache.add`` starts a window, ``cache.incr`` counts.

The limits (``BUERGERCHAT`` settings, 0 switches one off)::

    MESSAGES_PER_MINUTE     per conversation and sender side (citizen / staff)
    CONVERSATIONS_PER_HOUR  conversations started per client
    UPLOADS_PER_HOUR        uploads per conversation and sender side (attachments)

API for other parts (attachments use :func:`check_upload`)::

    limiter = Limiter("upload", limit=30, window=3600)
    limiter.hit(key)   # raises RateLimited, a ProtocolError with code "rate_limited"
"""

import hashlib
import hmac
import ipaddress
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.protocol.frames import ProtocolError


class RateLimited(ProtocolError):
    """Refused because a limit is reached; ``retry_after`` in seconds."""

    def __init__(self, detail, *, retry_after, ref=None):
        super().__init__("rate_limited", detail, ref=ref)
        self.retry_after = retry_after

    def as_frame(self):
        frame = super().as_frame()
        frame["retry_after"] = self.retry_after
        return frame


def daily_key(day=None):
    """The HMAC key of one UTC day, derived from SECRET_KEY; never stored."""
    day = day or timezone.now().date()
    return hmac.new(
        settings.SECRET_KEY.encode("utf-8"), b"buergerchat client key " + day.isoformat().encode(), hashlib.sha256
    ).digest()


def client_hash(address, day=None):
    """Keyed hash of a client address (rotates daily). Empty address: one shared bucket."""
    return hmac.new(daily_key(day), (address or "").encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def _ip(text):
    """An address of an X-Forwarded-For entry or of the peer, or ``None``.
    Accepts ``[v6]:port`` and ``v4:port`` as some proxies write them."""
    text = (text or "").strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    return getattr(address, "ipv4_mapped", None) or address


def _trusted(address, networks):
    return any(address.version == network.version and address in network for network in networks)


def client_address(peer, forwarded_for=""):
    """The client's address, decided in one place for HTTP requests and sockets.

    ``peer`` is the address the connection came from (``REMOTE_ADDR``, the scope's
    ``client``), ``forwarded_for`` the X-Forwarded-For header (several headers joined
    by commas). Only when the peer is one of ``BUERGERCHAT["TRUSTED_PROXIES"]`` is the
    header believed, and then only from the right: each trusted proxy appends the
    address it saw, so the right-most entry that is not a trusted proxy is the client.
    Anything left of it was written by the client and is ignored (a spoofed entry
    cannot buy a fresh rate-limit bucket). An entry that is no address ends the walk:
    the peer's address is used (one shared bucket rather than a chosen one).
    """
    networks = [ipaddress.ip_network(proxy, strict=False) for proxy in buergerchat_settings.TRUSTED_PROXIES]
    peer_ip = _ip(peer)
    if not networks or peer_ip is None or not _trusted(peer_ip, networks):
        return peer or ""
    hops = [hop for hop in (forwarded_for or "").split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _ip(hop)
        if address is None:
            return str(peer_ip)
        if not _trusted(address, networks):
            return str(address)
    # Only trusted proxies on the way (a request from the proxy's own host).
    return str(_ip(hops[0])) if hops else str(peer_ip)


def request_address(request):
    """The client address of a Django request (see :func:`client_address`)."""
    return client_address(request.META.get("REMOTE_ADDR", ""), request.META.get("HTTP_X_FORWARDED_FOR", ""))


def scope_address(scope):
    """The client address of an ASGI scope, e.g. a socket's (see :func:`client_address`)."""
    client = scope.get("client") or ("", 0)
    forwarded = ",".join(
        value.decode("latin-1") for name, value in scope.get("headers") or () if name.lower() == b"x-forwarded-for"
    )
    return client_address(client[0] or "", forwarded)


def _wait_text(seconds):
    if seconds >= 120:
        minutes = math.ceil(seconds / 60)
        return ngettext("in %(count)d minute", "in %(count)d minutes", minutes) % {"count": minutes}
    return ngettext("in %(count)d second", "in %(count)d seconds", seconds) % {"count": seconds}


class Limiter:
    def __init__(self, name, limit, window):
        self.name = name
        self.limit = limit
        self.window = window

    def _cache_key(self, key):
        window_start = int(time.time()) // self.window * self.window
        return f"buergerchat:rl:{self.name}:{key}:{window_start}", window_start

    def hit(self, key, *, detail=None, ref=None):
        """Count one event for ``key``; raise :class:`RateLimited` over the limit."""
        if not self.limit:
            return
        cache_key, window_start = self._cache_key(key)
        if cache.add(cache_key, 1, timeout=self.window + 5):
            count = 1
        else:
            try:
                count = cache.incr(cache_key)
            except ValueError:  # expired between add and incr
                cache.add(cache_key, 1, timeout=self.window + 5)
                count = 1
        if count > self.limit:
            retry_after = max(1, window_start + self.window - int(time.time()))
            raise RateLimited(
                (detail or _("Too many requests.")) + " " + _("Please try again %(when)s.") % {"when": _wait_text(retry_after)},
                retry_after=retry_after,
                ref=ref,
            )

    def reset(self, key):
        cache.delete(self._cache_key(key)[0])


def message_limiter():
    return Limiter("message", buergerchat_settings.MESSAGES_PER_MINUTE, 60)


def conversation_limiter():
    return Limiter("start", buergerchat_settings.CONVERSATIONS_PER_HOUR, 3600)


def upload_limiter():
    return Limiter("upload", buergerchat_settings.UPLOADS_PER_HOUR, 3600)


def check_message(conversation_id, sender, *, ref=None):
    message_limiter().hit(
        f"{conversation_id}:{sender}",
        detail=_("You are sending messages too quickly."),
        ref=ref,
    )


def check_start(address):
    conversation_limiter().hit(client_hash(address), detail=_("Too many chats were started from your connection."))


def check_upload(conversation_id, sender, *, ref=None):
    """For attachments: call before accepting an upload."""
    upload_limiter().hit(f"{conversation_id}:{sender}", detail=_("Too many files were uploaded."), ref=ref)
