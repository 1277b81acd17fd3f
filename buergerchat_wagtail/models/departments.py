from django.contrib.auth.models import Group
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.search import index


class DepartmentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def for_member(self, user):
        """Departments whose answering group ``user`` belongs to."""
        return self.filter(group__in=user.groups.all())


class Department(index.Indexed, models.Model):
    """A part of the city administration that answers citizens (a Wagtail snippet)."""

    name = models.CharField(_("name"), max_length=100, help_text=_("Shown to citizens, e.g. “Bauverwaltung”."))
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
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text=_("Closed conversations are deleted automatically this many days after closing."),
    )
    archive_before_purge = models.BooleanField(
        _("archive before deletion"),
        default=False,
        help_text=_(
            "Records duty: a closed conversation is deleted only after it has been archived. "
            "Conversations without an archive are kept and listed by the purge."
        ),
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

    def __str__(self):
        return self.name
