from django.contrib.auth.models import Group
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.search import index


class DepartmentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def for_member(self, user):
        """Departments whose answering group ``user`` belongs to."""
        return self.filter(group__in=user.groups.all())


class StaffNameDisplay(models.TextChoices):
    FULL = "full", _("Full name (e.g. “Berta Baumann”)")
    FIRST = "first", _("First name (e.g. “Berta”)")
    DEPARTMENT = "department", _("Department only (e.g. “Bauverwaltung”)")


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
