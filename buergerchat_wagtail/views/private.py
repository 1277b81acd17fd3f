"""Answers that carry a citizen's or a case worker's data are never stored by a
browser or a shared cache: ``Cache-Control: no-store`` (with Django's other
never-cache directives) and ``Vary`` on the header with the conversation secret."""

from functools import wraps

from django.utils.cache import add_never_cache_headers, patch_vary_headers

SECRET_HEADER = "X-Buergerchat-Secret"


def no_store(response):
    add_never_cache_headers(response)
    patch_vary_headers(response, (SECRET_HEADER,))
    return response


def private(view):
    """Decorate a view whose answers are private (also its errors)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        return no_store(view(request, *args, **kwargs))

    return wrapped


def private_urls(urls):
    """``include()``-able URLs (patterns, app name, namespace) with every view private,
    e.g. a NinjaAPI's ``api.urls``: its errors (401, 405, …) are answered by the views too."""
    patterns, app_name, namespace = urls
    for pattern in patterns:
        pattern.callback = private(pattern.callback)
    return patterns, app_name, namespace
