"""WebSocket consumers: one per side, thin. A consumer decodes a frame, checks the
socket's state, calls the command (``buergerchat_wagtail.commands``) on the database
thread and sends the reply; channel-layer events (``bc_*``) become frames."""

from buergerchat_wagtail.realtime.consumers.base import scope_language
from buergerchat_wagtail.realtime.consumers.citizen import CitizenConsumer
from buergerchat_wagtail.realtime.consumers.staff import StaffConsumer

__all__ = ["CitizenConsumer", "StaffConsumer", "scope_language"]
