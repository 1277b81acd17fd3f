"""Tags on conversations (a department-wide list kept by editors) and the inbox views
case workers save: a named set of inbox filters, personal or shared with a department."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.search import index

from buergerchat_wagtail.models.validators import validate_no_control_characters


class TagColour(models.TextChoices):
    """Colours from a fixed palette: a CSS class each (admin.css), never a style attribute (CSP)."""

    GREY = "grey", _("grey")
    BLUE = "blue", _("blue")
    GREEN = "green", _("green")
    YELLOW = "yellow", _("yellow")
    ORANGE = "orange", _("orange")
    RED = "red", _("red")
    PURPLE = "purple", _("purple")


class ConversationTagQuerySet(models.QuerySet):
    def for_departments(self, department_ids):
        return self.filter(department_id__in=department_ids)


class ConversationTag(index.Indexed, models.Model):
    """A label case workers put on conversations of one department (a Wagtail snippet),
    e.g. "Bauantrag" or "Rückruf nötig"."""

    department = models.ForeignKey(
        "buergerchat.Department",
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        related_name="conversation_tags",
    )
    name = models.CharField(
        _("name"),
        max_length=50,
        help_text=_("Short, e.g. “Bauantrag” or “Rückruf nötig”."),
        validators=[validate_no_control_characters],
    )
    colour = models.CharField(_("colour"), max_length=10, choices=TagColour.choices, blank=True)

    objects = ConversationTagQuerySet.as_manager()

    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        verbose_name = _("conversation tag")
        verbose_name_plural = _("conversation tags")
        ordering = ("department__name", "name", "pk")
        constraints = [
            models.UniqueConstraint(fields=["department", "name"], name="buergerchat_tag_department_name_unique")
        ]

    def __str__(self):
        return self.name

    def validate_constraints(self, exclude=None):
        """The one constraint (a name once per department), reported at the name."""
        try:
            super().validate_constraints(exclude)
        except ValidationError:
            raise ValidationError({"name": _("This department already has a tag of this name.")}) from None


class SavedInboxViewQuerySet(models.QuerySet):
    def visible_to(self, user, department_ids):
        """The user's own views and those shared with one of ``department_ids``."""
        return self.filter(models.Q(user=user) | models.Q(shared_with_id__in=department_ids)).select_related(
            "user", "shared_with"
        )


class SavedInboxView(models.Model):
    """A named set of inbox filters (the listing's query string), saved by one case
    worker and optionally shared with the colleagues of one department."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("saved by"), on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(_("name"), max_length=60, validators=[validate_no_control_characters])
    query = models.CharField(_("filters"), max_length=1000, blank=True)
    shared_with = models.ForeignKey(
        "buergerchat.Department",
        verbose_name=_("shared with"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Empty: only for you."),
    )
    created_at = models.DateTimeField(_("saved"), auto_now_add=True)

    objects = SavedInboxViewQuerySet.as_manager()

    class Meta:
        verbose_name = _("saved inbox view")
        verbose_name_plural = _("saved inbox views")
        ordering = ("name", "pk")

    def __str__(self):
        return self.name
