"""ASGI entry point: HTTP through Django, WebSockets through Channels.

The Bürgerchat's body limits (BodySizeLimit) answer 413 before Django reads an
oversized request body. The Origin check (buergerchat's OriginValidator) refuses
sockets opened by pages of any other origin (scheme, host and port; cross-site
WebSocket hijacking); staff sockets use the Django session. Under daphne,
request bodies are parsed by Django only (leave_form_bodies_to_django: Twisted
refused an empty multipart form with 400 before Django saw it).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo_site.settings")
django_asgi_app = get_asgi_application()

# Import consumers only after Django is set up.
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from buergerchat_wagtail.realtime.body_limit import BodySizeLimit  # noqa: E402
from buergerchat_wagtail.realtime.daphne_forms import leave_form_bodies_to_django  # noqa: E402
from buergerchat_wagtail.routing import OriginValidator, websocket_urlpatterns  # noqa: E402

leave_form_bodies_to_django()

application = ProtocolTypeRouter(
    {
        "http": BodySizeLimit(django_asgi_app),
        "websocket": OriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
