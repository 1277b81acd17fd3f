"""Consultation sessions (Livesprechstunde): a scheduled live hour with a named host,
a queue of waiting citizens and, in public mode, published questions and answers."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.models import Orderable
from wagtail.search import index

from buergerchat_wagtail.models.validators import validate_no_control_characters


class ConsultationSessionQuerySet(models.QuerySet):
    def upcoming(self, now=None):
        """Sessions that have not ended yet, the next first."""
        return self.filter(ends_at__gt=now or timezone.now()).order_by("starts_at", "pk")

    def running(self, now=None):
        now = now or timezone.now()
        return self.filter(starts_at__lte=now, ends_at__gt=now)


class ConsultationSession(index.Indexed, ClusterableModel):
    title = models.CharField(
        _("title"), max_length=150, help_text=_("e.g. “Digitale Bürgersprechstunde”."), validators=[validate_no_control_characters]
    )
    host = models.CharField(
        _("host"),
        max_length=150,
        help_text=_("Shown to citizens, e.g. “Oberbürgermeister Max Mustermann”."),
        validators=[validate_no_control_characters],
    )
    department = models.ForeignKey(
        "buergerchat.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="consultation_sessions",
        help_text=_("Its staff host the session in the admin; the conversations belong to it."),
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    capacity = models.PositiveSmallIntegerField(
        _("talks at once"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text=_("How many citizens the host talks to at the same time."),
    )
    description = models.TextField(_("description"), blank=True)
    public_qa = models.BooleanField(
        _("public questions and answers"),
        default=False,
        help_text=_(
            "Answered questions of citizens who agreed are published on the page after the session "
            "(question and answer, no names)."
        ),
    )

    objects = ConsultationSessionQuerySet.as_manager()

    search_fields = [index.SearchField("title"), index.AutocompleteField("title"), index.SearchField("host")]

    class Meta:
        verbose_name = _("consultation session")
        verbose_name_plural = _("consultation sessions")
        ordering = ("-starts_at", "pk")

    def __str__(self):
        return self.title

    def clean(self):
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The end must be after the start.")})

    def is_running(self, now=None):
        now = now or timezone.now()
        return self.starts_at <= now < self.ends_at

    def has_ended(self, now=None):
        return (now or timezone.now()) >= self.ends_at


class QueueStatus(models.TextChoices):
    WAITING = "waiting", _("waiting")
    ACTIVE = "active", _("in conversation")
    DONE = "done", _("talk ended")
    LEFT = "left", _("left the queue")
    MISSED = "missed", _("session ended while waiting")


class QueueEntry(models.Model):
    """A citizen in a session's queue; their conversation holds the talk."""

    session = models.ForeignKey(ConsultationSession, on_delete=models.CASCADE, related_name="queue")
    conversation = models.OneToOneField(
        "buergerchat.Conversation", on_delete=models.CASCADE, related_name="queue_entry"
    )
    status = models.CharField(max_length=10, choices=QueueStatus.choices, default=QueueStatus.WAITING, db_index=True)
    joined_at = models.DateTimeField(default=timezone.now)
    called_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    publish_consent = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("queue entry")
        verbose_name_plural = _("queue entries")
        ordering = ("joined_at", "pk")

    def __str__(self):
        return f"{self.session_id}/{self.conversation_id}: {self.status}"


class PublishedAnswer(Orderable):
    """A question and answer of a public session, shown on the page after it ended.

    Created when the host ends a talk whose citizen agreed; editors may shorten,
    anonymise or delete it in the session's edit form."""

    session = ParentalKey(ConsultationSession, on_delete=models.CASCADE, related_name="answers")
    question = models.TextField(_("question"))
    answer = models.TextField(_("answer"))

    class Meta(Orderable.Meta):
        verbose_name = _("published answer")
        verbose_name_plural = _("published answers")
