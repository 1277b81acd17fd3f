from django.conf import settings
from django.contrib.auth.models import Group
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.search import index

from buergerchat_wagtail.models.filetypes import FileTypesField
from buergerchat_wagtail.models.site_settings import BuergerchatSiteSettings
from buergerchat_wagtail.models.validators import validate_no_control_characters


class AvailabilityMode(models.TextChoices):
    HOURS = "hours", _("Office hours only")
    PRESENCE = "presence", _("Office hours and staff online")


class PdfActiveContent(models.TextChoices):
    REMOVE = "remove", _("Remove it (the cleaned file is stored)")
    REFUSE = "refuse", _("Refuse the file")


class DepartmentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def for_member(self, user):
        """Departments whose answering group ``user`` belongs to."""
        return self.filter(group__in=user.groups.all())


class AssignmentMode(models.TextChoices):
    MANUAL = "manual", _("Manual (case workers take conversations)")
    AUTOMATIC = "automatic", _("Automatic (round robin among present case workers)")


class StaffNameDisplay(models.TextChoices):
    FULL = "full", _("Full name (e.g. “Berta Baumann”)")
    FIRST = "first", _("First name (e.g. “Berta”)")
    DEPARTMENT = "department", _("Department only (e.g. “Bauverwaltung”)")


class Department(index.Indexed, models.Model):
    """A part of the city administration that answers citizens (a Wagtail snippet)."""

    name = models.CharField(
        _("name"), max_length=100, help_text=_("Shown to citizens, e.g. “Bauverwaltung”."), validators=[validate_no_control_characters]
    )
    sentence_name = models.CharField(
        _("name in a sentence"),
        max_length=120,
        blank=True,
        validators=[validate_no_control_characters],
        help_text=_(
            "The name with its article as it follows “an” or “für”, e.g. “das Ordnungsamt” or “die Bauverwaltung”. "
            "Canned answers use it for {department} (“Ihre Nachricht an {department}”). Empty: the name."
        ),
    )
    slug = models.SlugField(_("slug"), max_length=100, unique=True, help_text=_("Short name used in addresses and exports."))
    description = models.TextField(
        _("short description"), blank=True, help_text=_("One or two sentences on what the department helps with.")
    )
    greeting = models.TextField(
        _("greeting"),
        blank=True,
        help_text=_("First message the citizen sees after starting a chat, e.g. “Guten Tag, wie können wir helfen?”"),
    )
    group = models.ForeignKey(
        Group,
        verbose_name=_("answering group"),
        on_delete=models.PROTECT,
        related_name="buergerchat_departments",
        help_text=_("Members of this group see and answer the department's conversations."),
    )
    email = models.EmailField(
        _("notification e-mail"),
        blank=True,
        help_text=_("Address for notifications. Notifications never contain message text."),
    )
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive departments accept no new conversations.")
    )
    retention_days = models.PositiveIntegerField(
        _("retention period (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text=_(
            "Closed conversations are deleted automatically this many days after closing. "
            "Empty: the default retention period of the Bürgerchat settings."
        ),
    )
    archive_before_purge = models.BooleanField(
        _("archive before deletion"),
        default=False,
        help_text=_(
            "Records duty: a closed conversation is deleted only after it has been archived. "
            "Conversations without an archive are kept and listed by the purge."
        ),
    )
    staff_name_display = models.CharField(
        _("staff names shown to citizens"),
        max_length=10,
        choices=StaffNameDisplay.choices,
        default=StaffNameDisplay.DEPARTMENT,
        help_text=_("How citizens see who answers them. Without a name in the user account, the department is shown."),
    )
    reopen_window_days = models.PositiveSmallIntegerField(
        _("reopen closed conversations for (days)"),
        default=7,
        validators=[MaxValueValidator(365)],
        help_text=_(
            "Within this many days after closing, a citizen's message reopens the conversation. "
            "Later, or with 0, the citizen is asked to start a new conversation."
        ),
    )

    office_hours = models.ForeignKey(
        "buergerchat.OfficeHours",
        verbose_name=_("office hours"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="departments",
        help_text=_("When the chat is staffed. Empty: always."),
    )
    availability_mode = models.CharField(
        _("counts as staffed"),
        max_length=10,
        choices=AvailabilityMode.choices,
        default=AvailabilityMode.HOURS,
        help_text=_("With “staff online”, the chat is shown as staffed only while a case worker has the admin open."),
    )
    offline_messages = models.BooleanField(
        _("messages outside office hours"),
        default=True,
        help_text=_("Citizens may start a chat when no one is available; staff answer later."),
    )
    answer_days = models.PositiveSmallIntegerField(
        _("usual answer time (working days)"),
        default=2,
        help_text=_("Told to citizens who write outside office hours."),
    )
    attachment_types = FileTypesField(
        _("allowed attachment types"),
        help_text=_("Checked by the file's content, not its name. None checked: no attachments."),
    )
    max_attachment_mb = models.PositiveSmallIntegerField(
        _("largest attachment (MB)"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text=_("Upper limit for one file, in megabytes (1 to 50)."),
    )
    idle_close_minutes = models.PositiveSmallIntegerField(
        _("close inactive conversations after (minutes)"),
        default=30,
        validators=[MaxValueValidator(1440)],
        help_text=_(
            "After a staff answer, a conversation in which the citizen writes nothing for this many minutes "
            "is closed. The citizen is warned 20 seconds before and can continue the chat. 0: never."
        ),
    )
    pdf_active_content = models.CharField(
        _("PDFs with active content"),
        max_length=10,
        choices=PdfActiveContent.choices,
        default=PdfActiveContent.REMOVE,
        help_text=_(
            "Scripts, automatic actions, program launches, embedded files and form actions in uploaded PDFs. "
            "Removed, the PDF is stored without them (the audit log keeps the checksums of both versions)."
        ),
    )
    archive_on_close = models.BooleanField(
        _("archive on close"),
        default=False,
        help_text=_("When a case worker closes a conversation, archive it as a PDF/A transcript."),
    )

    assignment_mode = models.CharField(
        _("assignment of new conversations"),
        max_length=10,
        choices=AssignmentMode.choices,
        default=AssignmentMode.MANUAL,
        help_text=_(
            "Automatic: each new conversation goes to the next present case worker with free capacity, in turn."
        ),
    )
    assignment_capacity = models.PositiveSmallIntegerField(
        _("open conversations per person"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text=_("Automatic assignment gives a case worker at most this many open conversations of the department."),
    )
    reassign_after_minutes = models.PositiveSmallIntegerField(
        _("reassign after absence of (minutes)"),
        default=10,
        validators=[MaxValueValidator(1440)],
        help_text=_(
            "With automatic assignment, open conversations of a case worker who has been offline or away this long "
            "go to a present colleague. 0: never."
        ),
    )
    # Round robin: who got the last automatic assignment (the next one goes to the one after).
    last_auto_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="+"
    )

    objects = DepartmentQuerySet.as_manager()

    search_fields = [
        index.SearchField("name"),
        index.AutocompleteField("name"),
        index.SearchField("description"),
    ]

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ("name",)
        permissions = [
            ("supervise_department", _("Can supervise the team of their departments (Leitung)")),
        ]

    def __str__(self):
        return self.name

    @property
    def in_sentence(self):
        """The name as it reads inside a sentence ("das Ordnungsamt"), else the name."""
        return self.sentence_name.strip() or self.name

    @property
    def retention_period_days(self):
        """The retention period in days: the department's own, or the site default
        (Bürgerchat settings of the default site). The one answer used by the purge,
        the data subject access document and the admin."""
        if self.retention_days is not None:
            return self.retention_days
        return BuergerchatSiteSettings.for_request_or_default().default_retention_days

    @property
    def max_attachment_bytes(self):
        return self.max_attachment_mb * 1024 * 1024
