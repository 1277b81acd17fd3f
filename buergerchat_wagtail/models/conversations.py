import datetime
import hashlib
import secrets
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from buergerchat_wagtail.fields import EncryptedCharField, EncryptedEmailField, EncryptedTextField
from buergerchat_wagtail.models.notices import ResumeToken

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
    WAITING = "waiting", _("waiting for citizen")
    CLOSED = "closed", _("closed")


#: Statuses in which a citizen's unanswered message means "a citizen is waiting".
ACTIVE_STATUSES = (ConversationStatus.NEW, ConversationStatus.OPEN)


def citizens_waiting_q(prefix=""):
    """The rule "a citizen waits for an answer" as a Q object (``prefix`` for lookups
    through a relation, e.g. ``"conversations__"``): the menu badge, the dashboard
    panel, the inbox filter and "next conversation" all use it."""
    return models.Q(**{f"{prefix}status__in": ACTIVE_STATUSES, f"{prefix}waiting_since__isnull": False})


class SenderType(models.TextChoices):
    CITIZEN = "citizen", _("citizen")
    STAFF = "staff", _("staff")
    SYSTEM = "system", _("system")


class ConversationQuerySet(models.QuerySet):
    def for_secret(self, secret):
        if not isinstance(secret, str) or not secret or len(secret) > 200:
            return self.none()
        digest = hash_secret(secret)
        # The conversation's own code, or one a notice's link was exchanged for (notices.py).
        exchanged = ResumeToken.objects.filter(access_hash=digest).values("conversation_id")
        return self.filter(models.Q(secret_hash=digest) | models.Q(pk__in=exchanged))

    def lock(self, pk):
        """The conversation ``pk`` with its department, its row locked until the end of the
        transaction (``None`` if it was deleted). Every change of a conversation's state
        goes through this lock, which orders concurrent messages and actions."""
        return self.select_for_update(of=("self",)).select_related("department").filter(pk=pk).first()

    def citizens_waiting(self):
        """Conversations in which a citizen waits for an answer (see citizens_waiting_q)."""
        return self.filter(citizens_waiting_q())


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
    idle_since = models.DateTimeField(
        _("inactive since"),
        null=True,
        blank=True,
        help_text=_("Last staff answer (or the citizen's “continue chat”) not yet followed by a citizen message."),
    )
    first_response_at = models.DateTimeField(_("first answered"), null=True, blank=True)
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
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    auto_assigned_at = models.DateTimeField(
        _("assigned automatically"), null=True, blank=True, help_text=_("When the automatic assignment last chose the assignee.")
    )
    # Read receipts: the highest message id the other side has read.
    staff_read_up_to = models.PositiveBigIntegerField(_("read by staff up to message"), default=0)
    citizen_read_up_to = models.PositiveBigIntegerField(_("read by the citizen up to message"), default=0)
    rating = models.PositiveSmallIntegerField(
        _("satisfaction"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    # Free text of the citizen: encrypted at rest like the messages.
    rating_comment = EncryptedTextField(_("comment on the rating"), blank=True)
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True)
    tags = models.ManyToManyField(
        "buergerchat.ConversationTag", verbose_name=_("tags"), blank=True, related_name="conversations"
    )

    objects = ConversationQuerySet.as_manager()

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = ("-last_activity_at", "-pk")
        indexes = [
            models.Index(fields=["department", "-last_activity_at"], name="buergerchat_conv_dept_activity"),
            models.Index(fields=["department", "created_at"], name="buergerchat_conv_dept_created"),
            # Citizens waiting (the menu badge and the inbox's count on every admin page):
            # counted from this small index, not from all of a department's conversations.
            models.Index(
                fields=["department", "waiting_since"],
                condition=citizens_waiting_q(),
                name="buergerchat_conv_waiting",
            ),
        ]
        permissions = [
            ("erase_conversation", _("Can erase conversations of their departments (Art. 17 GDPR)")),
        ]

    def __str__(self):
        # The reference only: this label ends up in Wagtail's audit log and in error
        # reports, which must not contain the (confidential) subject.
        return self.reference

    @property
    def reopen_deadline(self):
        """Until when a citizen's message reopens this closed conversation (None: not
        closed, not reopened at all, or closed before closing times were recorded)."""
        days = self.department.reopen_window_days
        if self.status != ConversationStatus.CLOSED or self.closed_at is None or not days:
            return None
        return self.closed_at + datetime.timedelta(days=days)

    @property
    def idle_close_at(self):
        """When this conversation is closed for inactivity (None: not counting)."""
        if self.idle_since is None or self.status == ConversationStatus.CLOSED:
            return None
        minutes = self.department.idle_close_minutes
        return self.idle_since + datetime.timedelta(minutes=minutes) if minutes else None

    def accepts_citizen_messages(self, now):
        """The one rule for "may the citizen still write here": always while not closed;
        after closing within the department's reopen window."""
        if self.status != ConversationStatus.CLOSED:
            return True
        if not self.department.reopen_window_days:
            return False
        return self.closed_at is None or now <= self.reopen_deadline


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
    internal = models.BooleanField(
        _("internal"), default=False, help_text=_("Internal notes and events are shown to staff only, never to the citizen.")
    )
    # System messages (sender "system"): what happened, rendered per audience and language
    # by payloads.system_text (see system_events.py).
    event = models.CharField(_("event"), max_length=20, blank=True)
    event_data = models.JSONField(_("event data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ("pk",)
        constraints = [
            models.UniqueConstraint(fields=["conversation", "client_id"], name="buergerchat_message_client_id_unique")
        ]

    def __str__(self):
        return f"{self.get_sender_display()} #{self.pk}"
