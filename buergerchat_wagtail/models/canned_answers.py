from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.search import index

from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.models.validators import validate_no_control_characters


class CannedAnswerQuerySet(models.QuerySet):
    def for_department(self, department_id):
        """The answers offered in one department: its own and those for every department."""
        return self.filter(models.Q(department_id=department_id) | models.Q(department__isnull=True))


class CannedAnswer(index.Indexed, models.Model):
    """A prepared reply (a Wagtail snippet) that case workers insert from the reply box.

    The text may contain placeholders such as ``{name}``; see ``canned.py`` and
    docs/editors.md for the list and for how other parts of the app add their own.
    """

    department = models.ForeignKey(
        "buergerchat.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="canned_answers",
        help_text=_("Empty: offered in every department."),
    )
    title = models.CharField(
        _("title"), max_length=100, help_text=_("Shown in the picker, e.g. “Opening hours”."), validators=[validate_no_control_characters]
    )
    text = models.TextField(
        _("text"),
        help_text=_(
            "Placeholders: {name} citizen's name, {department} department in a sentence (e.g. “das Ordnungsamt”), "
            "{reference} reference, "
            "{subject} subject, {staff_name} your name as the citizen sees it, {office_hours} office hours."
        ),
    )

    objects = CannedAnswerQuerySet.as_manager()

    search_fields = [
        index.SearchField("title"),
        index.AutocompleteField("title"),
        index.SearchField("text"),
    ]

    class Meta:
        verbose_name = _("canned answer")
        verbose_name_plural = _("canned answers")
        ordering = ("title", "pk")

    def __str__(self):
        return self.title

    def clean(self):
        limit = buergerchat_settings.MAX_MESSAGE_LENGTH
        if self.text and len(self.text) > limit:
            raise ValidationError(
                {"text": _("At most %(limit)d characters, like a message.") % {"limit": limit}}
            )
