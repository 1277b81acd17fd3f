import hashlib
import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def hash_token(token: str) -> str:
    """SHA-256 of a notice token (256 random bits: a fast hash is enough, see hash_secret)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


class CitizenNotice(models.Model):
    """What the content-free "an answer is waiting" e-mail needs: the page where the
    citizen started (to point them back to it), the citizen's consent or opt-out, and
    the state of the coalescing (a pending notice, the answers already announced).

    The e-mail address itself stays on the conversation (encrypted at rest); this row
    is deleted with the conversation."""

    conversation = models.OneToOneField(
        "buergerchat.Conversation", on_delete=models.CASCADE, related_name="citizen_notice", primary_key=True
    )
    page = models.ForeignKey("wagtailcore.Page", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    last_emailed_at = models.DateTimeField(null=True, blank=True)
    opted_in_at = models.DateTimeField(
        _("notices requested"), null=True, blank=True, help_text=_("When the citizen asked for e-mail notices (consent).")
    )
    opted_out_at = models.DateTimeField(
        _("notices stopped"), null=True, blank=True, help_text=_("When the citizen stopped the e-mail notices.")
    )
    #: A notice is pending (coalescing): staff answers before this time go into it.
    due_at = models.DateTimeField(null=True, blank=True)
    #: The highest staff message id the last notice announced.
    notified_up_to = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("e-mail notice")
        verbose_name_plural = _("e-mail notices")

    @property
    def wanted(self):
        return self.opted_in_at is not None and self.opted_out_at is None


class ResumeToken(models.Model):
    """A one-time, short-lived token of a notice's link (in the URL fragment): the widget
    exchanges it once for the conversation's access. Only its hash is stored."""

    conversation = models.ForeignKey(
        "buergerchat.Conversation", on_delete=models.CASCADE, related_name="resume_tokens"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)
    #: Hash of the access code this link was exchanged for: a code of its own for the
    #: device that opened the link, so the citizen's noted code stays valid.
    access_hash = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        verbose_name = _("resume link")
        verbose_name_plural = _("resume links")


class CitizenPresence(models.Model):
    """An open citizen socket (or a polling widget) of a conversation: while one is
    fresh, no notice is sent. Rows of lost sockets expire after PRESENCE_TIMEOUT."""

    channel_name = models.CharField(max_length=200, unique=True)
    conversation = models.ForeignKey(
        "buergerchat.Conversation", on_delete=models.CASCADE, related_name="+"
    )
    last_seen = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("citizen presence")
        verbose_name_plural = _("citizen presences")
