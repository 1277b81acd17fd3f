from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, PageChooserPanel
from wagtail.admin.ui.tables import BooleanColumn, Column
from wagtail.snippets.views.snippets import SnippetViewSet

from buergerchat_wagtail.models import ChatLauncher


class ChatLauncherViewSet(SnippetViewSet):
    """"Chat-Schaltfläche für Seitenbereich": a floating chat button for a section of the
    page tree, without placing blocks (rendered by ``{% buergerchat_launcher %}``)."""

    model = ChatLauncher
    icon = "comment"
    menu_label = _("Chat buttons")
    menu_order = 210
    url_prefix = "buergerchat/chat-buttons"
    list_display = [
        "label",
        Column("root_page", label=_("Page")),
        BooleanColumn("include_descendants", label=_("With subpages")),
        Column("department", label=_("Department")),
        BooleanColumn("is_active", label=_("Active")),
    ]
    list_filter = ["is_active"]
    search_fields = ["label"]
    ordering = ["label"]
    panels = [
        MultiFieldPanel(
            [FieldPanel("label"), PageChooserPanel("root_page"), FieldPanel("include_descendants"), FieldPanel("is_active")],
            heading=_("Where"),
        ),
        MultiFieldPanel(
            [FieldPanel("department"), FieldPanel("topics")],
            heading=_("Who answers"),
        ),
        MultiFieldPanel(
            [FieldPanel("heading"), FieldPanel("greeting"), FieldPanel("show_office_hours")],
            heading=_("Chat"),
        ),
    ]
