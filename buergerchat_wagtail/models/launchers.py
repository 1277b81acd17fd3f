from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.fields import StreamField
from wagtail.search import index

from buergerchat_wagtail.models.blocks import TopicBlock
from buergerchat_wagtail.models.validators import validate_no_control_characters
from buergerchat_wagtail.models.site_settings import BuergerchatSiteSettings


class ChatLauncherQuerySet(models.QuerySet):
    def for_page(self, page):
        """Active launchers that cover ``page``, the most specific (deepest section) first."""
        if page is None or not getattr(page, "pk", None):
            return self.none()
        ancestors = page.get_ancestors(inclusive=True).values("pk")
        return (
            self.filter(is_active=True)
            .filter(models.Q(root_page=page) | models.Q(root_page__in=ancestors, include_descendants=True))
            .select_related("root_page", "department")
            .order_by("-root_page__depth", "-pk")
        )


class ChatLauncher(index.Indexed, models.Model):
    """A floating chat button for a section of the page tree ("Chat-Schaltfläche für
    Seitenbereich"), rendered by the ``{% buergerchat_launcher %}`` template tag."""

    label = models.CharField(
        _("text of the chat button"),
        max_length=40,
        help_text=_("What the button in the lower right corner says, e.g. “Fragen? Chatten Sie mit uns”."),
        validators=[validate_no_control_characters],
    )
    root_page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("page"),
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("The chat button is shown on this page."),
    )
    include_descendants = models.BooleanField(
        _("include subpages"),
        default=True,
        help_text=_(
            "Also on all pages below it. A chat button for a deeper section replaces this one there."
        ),
    )
    department = models.ForeignKey(
        "buergerchat.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_(
            "Whose staff answer. Leave empty if you add topics; empty without topics: the default department "
            "of the Bürgerchat settings."
        ),
    )
    topics = StreamField(
        [("topic", TopicBlock())],
        blank=True,
        verbose_name=_("topics"),
        help_text=_("Instead of one department: citizens first choose a topic; the chat goes to its department."),
    )
    heading = models.CharField(
        _("heading"),
        max_length=120,
        blank=True,
        help_text=_("Shown at the top of the opened chat. Empty: the department's name."),
        validators=[validate_no_control_characters],
    )
    greeting = models.TextField(
        _("greeting"),
        blank=True,
        help_text=_("Shown in the chat instead of the department's greeting. Empty: the department's greeting."),
    )
    show_office_hours = models.BooleanField(
        _("show office hours"),
        default=True,
        help_text=_("Shows whether the chat is staffed now and offers the office hours as a calendar file."),
    )
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Switch the chat button off without deleting it.")
    )

    objects = ChatLauncherQuerySet.as_manager()

    search_fields = [index.SearchField("label"), index.AutocompleteField("label")]

    class Meta:
        verbose_name = _("chat button for a page section")
        verbose_name_plural = _("chat buttons for page sections")
        ordering = ("label",)

    def __str__(self):
        return self.label

    def topic_values(self):
        return [child.value for child in self.topics]

    def clean(self):
        super().clean()
        if self.department_id and len(self.topics):
            raise ValidationError(
                {"department": _("Choose either one department or topics, not both. Remove the department or the topics.")}
            )
        if not self.department_id and not len(self.topics):
            if BuergerchatSiteSettings.active_default_department() is None:
                raise ValidationError(
                    {"department": _("Choose a department or add topics: the Bürgerchat settings name no default department.")}
                )
