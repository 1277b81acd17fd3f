from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.images import get_image_model_string


@register_setting(icon="comment")
class BuergerchatSiteSettings(BaseSiteSetting):
    """Per-site settings of the chat: who the city is, for transcripts."""

    city_name = models.CharField(
        _("name of the city"),
        max_length=120,
        blank=True,
        help_text=_("Printed at the top of every PDF transcript, e.g. “Stadt Musterstadt”. Empty: the site's name."),
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

    panels = [FieldPanel("city_name"), FieldPanel("logo")]

    class Meta:
        verbose_name = _("Bürgerchat")
