from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.snippets.views.snippets import SnippetViewSet

from buergerchat_wagtail.models import OfficeHours


class OfficeHoursViewSet(SnippetViewSet):
    model = OfficeHours
    icon = "time"
    # "Chat-Sprechzeiten": not to be confused with the consultation sessions beside it.
    menu_label = _("Chat office hours")
    menu_order = 300
    url_prefix = "buergerchat/office-hours"
    list_display = ["name", "holiday_state"]
    search_fields = ["name"]
    ordering = ["name"]
    panels = [
        MultiFieldPanel([FieldPanel("name"), FieldPanel("holiday_state")], heading=_("Office hours")),
        InlinePanel(
            "ranges",
            heading=_("Weekly opening times"),
            label=_("Opening range"),
            help_text=_("Any number of ranges per weekday, e.g. 8:00–12:00 and 14:00–16:00. Times in German time."),
            panels=[FieldRowPanel([FieldPanel("weekday"), FieldPanel("opens"), FieldPanel("closes")])],
        ),
        InlinePanel(
            "exceptions",
            heading=_("Exceptions"),
            label=_("Exception"),
            help_text=_(
                "Closed days (leave the times empty) or special opening hours on single days or date ranges. "
                "Exceptions replace the weekly times and the public holidays on their days."
            ),
            panels=[
                FieldRowPanel([FieldPanel("start_date"), FieldPanel("end_date")]),
                FieldRowPanel([FieldPanel("opens"), FieldPanel("closes")]),
                FieldPanel("note"),
            ],
        ),
    ]
