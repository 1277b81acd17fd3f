from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.admin.ui.tables import Column
from wagtail.snippets.views.snippets import SnippetViewSet

from buergerchat_wagtail.models import CannedAnswer


class CannedAnswerViewSet(SnippetViewSet):
    model = CannedAnswer
    icon = "list-ul"
    menu_label = _("Canned answers")
    menu_order = 400
    url_prefix = "buergerchat/canned-answers"
    list_display = ["title", Column("department", label=_("Department"), accessor=lambda a: a.department or _("All departments"))]
    list_filter = ["department"]
    search_fields = ["title", "text"]
    ordering = ["title"]
    panels = [FieldPanel("department"), FieldPanel("title"), FieldPanel("text")]
