"""WebSocket routes and the Origin check. Include them in the project's asgi.py
(see README)::

    from buergerchat_wagtail.routing import OriginValidator, websocket_urlpatterns

    "websocket": OriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))

``OriginValidator`` compares the whole origin (scheme, host, port) with
``BUERGERCHAT["ALLOWED_ORIGINS"]``, or with the socket's own origin when that is
empty (see ``realtime/origin.py``).
"""

from django.urls import path

from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.realtime import consumers
from buergerchat_wagtail.realtime.origin import OriginValidator

_prefix = buergerchat_settings.WEBSOCKET_PATH

__all__ = ["OriginValidator", "websocket_urlpatterns"]

websocket_urlpatterns = [
    path(f"{_prefix}citizen/", consumers.CitizenConsumer.as_asgi(), name="buergerchat-citizen-socket"),
    path(f"{_prefix}staff/", consumers.StaffConsumer.as_asgi(), name="buergerchat-staff-socket"),
]
