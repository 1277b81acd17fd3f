from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReadMarker(models.Model):
    """How far one staff user has read one conversation: the basis of unread counts."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(
        "buergerchat.Conversation", on_delete=models.CASCADE, related_name="read_markers"
    )
    last_read_id = models.PositiveBigIntegerField(_("read up to message"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("read marker")
        verbose_name_plural = _("read markers")
        constraints = [
            models.UniqueConstraint(fields=["user", "conversation"], name="buergerchat_readmarker_unique")
        ]
