import hashlib
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..fields import EncryptedCharField, EncryptedEmailField, EncryptedTextField

# Crockford base32 without the look-alikes I, L, O and U: easy to read out on the phone.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def hash_secret(secret: str) -> str:
    """SHA-256 of a citizen secret.

    The secret carries 256 random bits, so a fast hash is enough: there is nothing
    to brute-force, and a lookup by hash stays an index scan.
    """
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)  # 256 bits


def new_reference() -> str:
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"BC-{chars[:4]}-{chars[4:]}"


class ConversationStatus(models.TextChoices):
    NEW = "new", _("new")
    OPEN = "open", _("open")
    CLOSED = "closed", _("closed")


class SenderType(models.TextChoices):
    CITIZEN = "citizen", _("citizen")
    STAFF = "staff", _("staff")
    SYSTEM = "system", _("system")


class ConversationQuerySet(models.QuerySet):
    def for_secret(self, secret):
        if not isinstance(secret, str) or not secret or len(secret) > 200:
            return self.none()
        return self.filter(secret_hash=hash_secret(secret))


class Conversation(models.Model):
    department = models.ForeignKey(
        "buergerchat.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="conversations",
    )
    reference = models.CharField(_("reference"), max_length=20, unique=True, default=new_reference, editable=False)
    # Subject, name and e-mail are encrypted at rest (fields.py): the subject is the
    # first line of the citizen's text, so it is as confidential as the text itself.
    subject = EncryptedCharField(_("subject"), max_length=200)
    citizen_name = EncryptedCharField(_("name"), max_length=100, blank=True)
    citizen_email = EncryptedEmailField(_("e-mail"), blank=True)
    secret_hash = models.CharField(max_length=64, unique=True, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=ConversationStatus.choices, default=ConversationStatus.NEW, db_index=True
    )
    created_at = models.DateTimeField(_("started"), default=timezone.now)
    last_activity_at = models.DateTimeField(_("last activity"), default=timezone.now, db_index=True)
    waiting_since = models.DateTimeField(
        _("waiting since"), null=True, blank=True, help_text=_("Oldest citizen message not yet answered.")
    )
    closed_at = models.DateTimeField(
        _("closed"), null=True, blank=True, db_index=True, help_text=_("Retention is counted from this time.")
    )
    erasure_requested_at = models.DateTimeField(
        _("erasure requested"),
        null=True,
        blank=True,
        help_text=_("The citizen asked to delete the conversation; it must be archived first."),
    )
    privacy_page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("privacy notice page"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    privacy_revision = models.ForeignKey(
        "wagtailcore.Revision",
        verbose_name=_("privacy notice version"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The published revision of the privacy notice the citizen confirmed."),
    )
    privacy_version = models.CharField(
        _("privacy notice version"),
        max_length=100,
        blank=True,
        help_text=_("Page id, revision id and publication time of the confirmed privacy notice; kept if the revision is deleted."),
    )

    objects = ConversationQuerySet.as_manager()

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = ("-last_activity_at", "-pk")
        indexes = [models.Index(fields=["department", "-last_activity_at"], name="buergerchat_conv_dept_activity")]
        permissions = [
            ("erase_conversation", _("Can erase conversations of their departments (Art. 17 GDPR)")),
        ]

    def __str__(self):
        # The reference only: this label ends up in Wagtail's audit log and in error
        # reports, which must not contain the (confidential) subject.
        return self.reference


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation, verbose_name=_("conversation"), on_delete=models.CASCADE, related_name="messages"
    )
    sender = models.CharField(_("sender"), max_length=10, choices=SenderType.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    body = EncryptedTextField(_("text"))
    client_id = models.UUIDField(
        _("client id"), default=uuid.uuid4, help_text=_("Chosen by the sending client; makes resends idempotent.")
    )
    created_at = models.DateTimeField(_("sent"), default=timezone.now)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ("pk",)
        constraints = [
            models.UniqueConstraint(fields=["conversation", "client_id"], name="buergerchat_message_client_id_unique")
        ]

    def __str__(self):
        return f"{self.get_sender_display()} #{self.pk}"
