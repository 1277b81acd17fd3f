"""WebSocket consumers: one per side, thin. A consumer decodes a frame, checks the
socket's state, calls the command (``buergerchat_wagtail.commands``) on the database
thread and sends the reply; channel-layer events (``bc_*``) become frames."""

from buergerchat_wagtail.realtime.consumers.base import scope_language
from buergerchat_wagtail.realtime.consumers.citizen import CLOSE_AUTH_TIMEOUT, CLOSE_TOO_MANY_FAILURES, CitizenConsumer
from buergerchat_wagtail.realtime.consumers.staff import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED, StaffConsumer

__all__ = [
    "CLOSE_AUTH_TIMEOUT",
    "CLOSE_FORBIDDEN",
    "CLOSE_TOO_MANY_FAILURES",
    "CLOSE_UNAUTHENTICATED",
    "CitizenConsumer",
    "StaffConsumer",
    "scope_language",
]
