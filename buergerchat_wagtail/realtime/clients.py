"""Who a socket's client is, for the per-address limits of the sockets.

One function, so that it can be replaced by a trusted-proxies aware one: today the
address the ASGI server reports (``scope["client"]``; behind a proxy run daphne with
``--proxy-headers`` so this is the citizen's, not the proxy's)."""


def client_address(scope):
    client = scope.get("client") or ("", 0)
    return client[0] or ""
