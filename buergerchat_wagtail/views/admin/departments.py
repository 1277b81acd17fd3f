from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.admin.ui.tables import BooleanColumn, Column
from wagtail.snippets.views.snippets import SnippetViewSet

from buergerchat_wagtail.availability import state as availability
from buergerchat_wagtail.models import Department


class AvailabilityColumn(Column):
    """The department's state now, from the one function that the page and the widget use."""

    def get_value(self, instance):
        return availability.department_state(instance).label


class DepartmentViewSet(SnippetViewSet):
    model = Department
    icon = "group"
    menu_label = _("Departments")
    menu_order = 200
    url_prefix = "buergerchat/departments"
    list_display = [
        "name",
        Column("group", label=_("Answering group")),
        BooleanColumn("is_active", label=_("Active")),
        AvailabilityColumn("availability", label=_("Now")),
    ]
    list_filter = ["is_active"]
    search_fields = ["name", "description"]
    ordering = ["name"]
    panels = [
        MultiFieldPanel(
            [
                FieldPanel("name"),
                FieldPanel("sentence_name"),
                FieldPanel("slug"),
                FieldPanel("description"),
                FieldPanel("greeting"),
                FieldPanel("staff_name_display"),
                FieldPanel("reopen_window_days"),
                FieldPanel("idle_close_minutes"),
            ],
            heading=_("For citizens"),
        ),
        MultiFieldPanel(
            [FieldPanel("group"), FieldPanel("email"), FieldPanel("is_active")],
            heading=_("For staff"),
        ),
        MultiFieldPanel(
            [FieldPanel("assignment_mode"), FieldPanel("assignment_capacity"), FieldPanel("reassign_after_minutes")],
            heading=_("Assignment"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("office_hours"),
                FieldPanel("availability_mode"),
                FieldPanel("offline_messages"),
                FieldPanel("answer_days"),
            ],
            heading=_("Office hours"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("attachment_types"),
                FieldPanel("max_attachment_mb"),
                FieldPanel("pdf_active_content"),
                FieldPanel("archive_on_close"),
            ],
            heading=_("Attachments and archive"),
        ),
        MultiFieldPanel(
            [FieldPanel("retention_days"), FieldPanel("archive_before_purge")],
            heading=_("Data protection"),
        ),
    ]
