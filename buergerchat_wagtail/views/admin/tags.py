"""The editors' list of conversation tags per department (a snippet)."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.admin.ui.tables import Column
from wagtail.snippets.views.snippets import SnippetViewSet

from buergerchat_wagtail.models import ConversationTag


class TagColumn(Column):
    """The tag as case workers see it in the inbox (its colour is a CSS class)."""

    cell_template_name = "buergerchat_wagtail/admin/_tag_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["tags"] = [instance]
        return context


class ConversationTagViewSet(SnippetViewSet):
    model = ConversationTag
    icon = "tag"
    menu_label = _("Conversation tags")
    menu_order = 450
    url_prefix = "buergerchat/tags"
    list_display = [TagColumn("name", label=_("Name")), Column("department", label=_("Department"), accessor="department.name")]
    list_filter = ["department"]
    search_fields = ["name"]
    ordering = ["department__name", "name"]
    panels = [FieldPanel("department"), FieldPanel("name"), FieldPanel("colour")]
