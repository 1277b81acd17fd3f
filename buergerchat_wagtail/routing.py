"""WebSocket routes. Include them in the project's asgi.py (see README)::

    from buergerchat_wagtail.routing import websocket_urlpatterns
"""

from django.urls import path

from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.realtime import consumers

_prefix = buergerchat_settings.WEBSOCKET_PATH

websocket_urlpatterns = [
    path(f"{_prefix}citizen/", consumers.CitizenConsumer.as_asgi(), name="buergerchat-citizen-socket"),
    path(f"{_prefix}staff/", consumers.StaffConsumer.as_asgi(), name="buergerchat-staff-socket"),
]
