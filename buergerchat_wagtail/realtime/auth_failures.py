"""Wrong conversation secrets per client address, counted in Django's cache.

The key is the keyed daily hash of the address (``ratelimit.client_hash``), never
the address itself. The first wrong secret starts a window of
``BUERGERCHAT["AUTH_FAILURE_WINDOW"]`` seconds (the cache entry's expiry); within it
the sockets of that address may send ``MAX_AUTH_FAILURES`` wrong secrets in all.
With several workers the cache must be shared (Redis), as for the rate limits.
"""

from django.core.cache import cache

from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.conversations.ratelimit import client_hash


def _key(address):
    return f"buergerchat:authfail:{client_hash(address)}"


def failures(address):
    return cache.get(_key(address), 0)


def blocked(address):
    """True while the address has used up its wrong secrets."""
    return failures(address) >= buergerchat_settings.MAX_AUTH_FAILURES


def count_failure(address):
    """Count one wrong secret of ``address``; returns the count within the window."""
    key = _key(address)
    if cache.add(key, 1, timeout=buergerchat_settings.AUTH_FAILURE_WINDOW):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=buergerchat_settings.AUTH_FAILURE_WINDOW)
        return 1
