"""Admin UI components: the dashboard panels "N citizens waiting" per department and
(for editors) the departments' readiness."""

from django.db.models import Count
from django.urls import reverse
from django.utils.translation import ngettext
from wagtail.admin.ui.components import Component

from buergerchat_wagtail.conversations.permissions import conversation_permission_policy
from buergerchat_wagtail.models.conversations import citizens_waiting_q
from buergerchat_wagtail.views.admin.readiness import ReadinessPanel, may_see_readiness


class WaitingCitizensPanel(Component):
    """On the Wagtail dashboard: how many citizens wait for an answer, per department
    of the user, each linking to the inbox filtered to them (one query)."""

    name = "buergerchat_waiting"
    template_name = "buergerchat_wagtail/admin/home_panel.html"
    order = 50

    def get_context_data(self, parent_context):
        request = parent_context["request"]
        departments = (
            conversation_permission_policy.departments_for_user(request.user)
            .annotate(waiting=Count("conversations", filter=citizens_waiting_q("conversations__")))
            .order_by("name")
        )
        inbox = reverse("buergerchat_inbox:index")
        rows = [
            {
                "department": department,
                "count": department.waiting,
                "label": ngettext("%(count)d citizen waiting", "%(count)d citizens waiting", department.waiting)
                % {"count": department.waiting},
                "url": f"{inbox}?department={department.pk}&waiting=true",
            }
            for department in departments
        ]
        return {"rows": rows, "inbox_url": inbox, "request": request}


def construct_homepage_panels(request, panels):
    if conversation_permission_policy.user_has_permission(request.user, "view"):
        panels.append(WaitingCitizensPanel())
    if may_see_readiness(request.user):
        panels.append(ReadinessPanel())
