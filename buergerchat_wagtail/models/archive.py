from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from buergerchat_wagtail.fields import EncryptedCharField


class TranscriptKind(models.TextChoices):
    ARCHIVE = "archive", _("archived record")
    CITIZEN = "citizen", _("citizen's copy")


class TranscriptQuerySet(models.QuerySet):
    def archived(self):
        return self.filter(kind=TranscriptKind.ARCHIVE)


class Transcript(models.Model):
    """A PDF/A transcript of a conversation.

    ``archive`` transcripts are the city's records: they keep the department,
    reference, subject and dates even if the conversation is deleted later.
    ``citizen`` transcripts are the citizen's downloadable copy (a cache, rebuilt
    when new messages arrive).
    """

    kind = models.CharField(_("kind"), max_length=10, choices=TranscriptKind.choices, db_index=True)
    conversation = models.ForeignKey(
        "buergerchat.Conversation",
        verbose_name=_("conversation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="transcripts",
    )
    department = models.ForeignKey(
        "buergerchat.Department", verbose_name=_("department"), on_delete=models.PROTECT, related_name="transcripts"
    )
    reference = models.CharField(_("reference"), max_length=20, db_index=True)
    subject = EncryptedCharField(_("subject"), max_length=200)  # encrypted at rest, like the conversation's
    conversation_started_at = models.DateTimeField(_("conversation started"))
    last_message_at = models.DateTimeField(_("last message"), null=True, blank=True)
    last_message_id = models.BigIntegerField(_("last message id"), default=0)
    message_count = models.PositiveIntegerField(_("messages"), default=0)
    attachment_count = models.PositiveIntegerField(_("attachments"), default=0)
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        default="",
        help_text=_("The language the transcript is written in (a citizen's copy: the language of the page it was requested from)."),
    )
    storage_name = models.CharField(max_length=200, editable=False)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("archived"), default=timezone.now, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("archived by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = TranscriptQuerySet.as_manager()

    class Meta:
        verbose_name = _("transcript")
        verbose_name_plural = _("transcripts")
        ordering = ("-created_at", "-pk")
        indexes = [models.Index(fields=["kind", "department", "-created_at"], name="buergerchat_transcript_list")]

    def __str__(self):
        # The reference only: this label is stored in Wagtail's log entries (audit log).
        return self.reference

    @property
    def filename(self):
        return f"{self.reference}-{timezone.localtime(self.created_at):%Y%m%d-%H%M}.pdf"
