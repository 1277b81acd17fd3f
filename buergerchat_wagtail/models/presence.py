"""Staff presence, kept in the database so every worker process sees the same.

One row per open staff socket (its channel name), refreshed by the socket's pings;
rows whose socket died with its worker expire after ``PRESENCE_TIMEOUT`` seconds.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class StaffPresence(models.Model):
    channel_name = models.CharField(max_length=200, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    connected_at = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("staff presence")
        verbose_name_plural = _("staff presences")


class StaffStatus(models.Model):
    """A case worker's own "away" switch; without a row the worker is not away."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="buergerchat_status", primary_key=True
    )
    away = models.BooleanField(_("away"), default=False)
    changed_at = models.DateTimeField(default=timezone.now)
    # Since when the worker has been absent (no admin open, or away); None while present.
    offline_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("staff status")
        verbose_name_plural = _("staff statuses")
