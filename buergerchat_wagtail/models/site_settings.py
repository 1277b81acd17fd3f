from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, PageChooserPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.images import get_image_model_string
from wagtail.models import Site

from buergerchat_wagtail.models.validators import validate_brand_colour, validate_no_control_characters

DEFAULT_RETENTION_DAYS = 90


@register_setting(icon="comment")
class BuergerchatSiteSettings(BaseSiteSetting):
    """Per-site settings of the chat: who the city is, for transcripts; and the defaults
    that chat blocks and launchers use when the editor chose nothing."""

    city_name = models.CharField(
        _("name of the city"),
        max_length=120,
        blank=True,
        help_text=_("Printed at the top of every PDF transcript, e.g. “Stadt Musterstadt”. Empty: the site's name."),
        validators=[validate_no_control_characters],
    )
    logo = models.ForeignKey(
        get_image_model_string(),
        verbose_name=_("logo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Printed at the top of every PDF transcript (PNG or JPEG)."),
    )
    privacy_page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("privacy notice page"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_(
            "Citizens confirm this page before they start a chat, unless the chat block names its own page."
        ),
    )
    brand_colour = models.CharField(
        _("brand colour"),
        max_length=7,
        blank=True,
        validators=[validate_brand_colour],
        help_text=_(
            "Colour of the chat buttons, links and the chat button in the corner, e.g. #004b87. "
            "The buttons have white text: colours with a contrast below 4.5:1 are refused. "
            "Empty: the standard blue."
        ),
    )
    default_retention_days = models.PositiveIntegerField(
        _("default retention period (days)"),
        default=DEFAULT_RETENTION_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text=_(
            "Closed conversations are deleted this many days after closing, in every department "
            "without its own retention period."
        ),
    )
    default_department = models.ForeignKey(
        "buergerchat.Department",
        verbose_name=_("default department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Answers chats from chat blocks and chat buttons that name neither a department nor topics."),
    )

    panels = [
        MultiFieldPanel([FieldPanel("city_name"), FieldPanel("logo")], heading=_("Transcripts")),
        MultiFieldPanel(
            [
                FieldPanel("default_department"),
                PageChooserPanel("privacy_page"),
                FieldPanel("brand_colour"),
            ],
            heading=_("Chat on the website"),
        ),
        MultiFieldPanel([FieldPanel("default_retention_days")], heading=_("Data protection")),
    ]

    class Meta:
        verbose_name = _("Bürgerchat")

    @classmethod
    def for_request_or_default(cls, request=None):
        """The settings of the request's site, or of the default site (outside requests,
        e.g. in the retention purge). Unsaved defaults if there is no site."""
        site = Site.find_for_request(request) if request is not None else None
        if site is None:
            site = Site.objects.filter(is_default_site=True).first() or Site.objects.order_by("pk").first()
        return cls.for_site(site) if site is not None else cls()

    @classmethod
    def active_default_department(cls):
        """The default department of the Bürgerchat settings (default site), if active."""
        department = cls.for_request_or_default().default_department
        return department if department is not None and department.is_active else None
