import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from buergerchat_wagtail.fields import EncryptedCharField
from buergerchat_wagtail.models.filetypes import FileType


class ScanStatus(models.TextChoices):
    PENDING = "pending", _("being checked")
    CLEAN = "clean", _("checked for malware")
    INFECTED = "infected", _("removed: malware found")
    FAILED = "failed", _("check failed")


#: ``scan_detail`` of a file released without a malware check (``NoScanner``).
NOT_SCANNED = "not scanned"


def new_storage_name(prefix):
    """A path in the private storage made of random parts only: the citizen's file
    name never reaches the file system."""
    return f"buergerchat/{prefix}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file sent in a chat. It belongs to one message and stays in quarantine (not
    downloadable) until the malware scanner has passed it."""

    conversation = models.ForeignKey(
        "buergerchat.Conversation", verbose_name=_("conversation"), on_delete=models.CASCADE, related_name="attachments"
    )
    message = models.OneToOneField(
        "buergerchat.Message", verbose_name=_("message"), on_delete=models.CASCADE, related_name="attachment"
    )
    # Encrypted at rest: file names often carry names or case details.
    name = EncryptedCharField(_("file name"), max_length=120, help_text=_("Sanitised name, shown and used for downloads."))
    file_type = models.CharField(_("file type"), max_length=10, choices=FileType.choices)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    storage_name = models.CharField(max_length=200, editable=False)
    # A small preview of a released image, made from the stored (re-encoded) file,
    # encrypted like the file itself; empty for other files and while in quarantine.
    thumbnail_name = models.CharField(max_length=200, blank=True, editable=False)
    thumbnail_width = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    thumbnail_height = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    status = models.CharField(
        _("check"), max_length=10, choices=ScanStatus.choices, default=ScanStatus.PENDING, db_index=True
    )
    scan_detail = models.CharField(_("check result"), max_length=200, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    scanned_at = models.DateTimeField(_("checked"), null=True, blank=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ("pk",)

    def __str__(self):
        # No file name: labels end up in logs and Wagtail's audit log.
        return f"#{self.pk} ({self.file_type})"

    @property
    def is_available(self):
        return self.status == ScanStatus.CLEAN

    @property
    def has_thumbnail(self):
        return self.is_available and bool(self.thumbnail_name)

    @property
    def malware_checked(self):
        """False for a file released without a scan (no real scanner configured)."""
        return not (self.status == ScanStatus.CLEAN and self.scan_detail == NOT_SCANNED)

    @property
    def status_label(self):
        """What people are told about the file's check, to staff and citizens alike."""
        if not self.malware_checked:
            return str(_("not checked for malware"))
        return self.get_status_display()


def cache_no_attachment(message):
    """Record on ``message`` that it has no attachment, so reading it needs no query
    (payloads are built in async consumer code, where queries are not allowed)."""
    type(message).attachment.related.set_cached_value(message, None)
    return message
