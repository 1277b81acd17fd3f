"""The team board of a department's "Leitung": who is present, how many open
conversations each holds, the longest-waiting citizen, and reassignment.

Only for users who supervise the department (``permissions.may_supervise``); the
reassignment goes through the staff command ``assign`` (the same checks as the socket's
``assign`` frame). The page reloads its table on the staff socket's ``presence`` and
``conversation`` frames (Stimulus controller ``bc-board``) and every 30 seconds.
"""

from django.contrib import messages as admin_messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.base import ViewSet

from buergerchat_wagtail.casework import assignment
from buergerchat_wagtail.commands import staff as commands
from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.conversations.permissions import may_supervise, supervised_departments
from buergerchat_wagtail.models import Department
from buergerchat_wagtail.protocol.frames import PROTOCOL_VERSION, STAFF_FRAMES, ProtocolError
from buergerchat_wagtail.views.admin.access import forbidden


def _department_for(request, pk):
    """The department if the user supervises it, else ``None`` (a 403 either way)."""
    department = Department.objects.filter(pk=pk).first()
    if department is None or not may_supervise(request.user, department):
        return None
    return department


def board_index(request):
    departments = list(supervised_departments(request.user).order_by("name"))
    if not departments:
        return forbidden(request)
    if len(departments) == 1:
        return redirect("buergerchat_board:department", departments[0].pk)
    return TemplateResponse(
        request,
        "buergerchat_wagtail/admin/board_index.html",
        {"departments": departments, "page_title": _("Team board"), "header_icon": "group"},
    )


def board_context(department):
    board = assignment.team_board(department)
    return {"board": board, "now": timezone.now()}


def board(request, pk):
    department = _department_for(request, pk)
    if department is None:
        return forbidden(request)
    context = board_context(department)
    if request.GET.get("fragment") == "1":
        return TemplateResponse(request, "buergerchat_wagtail/admin/_board.html", context)
    context.update(
        page_title=_("Team board"),
        header_icon="group",
        department=department,
        socket_path="/" + buergerchat_settings.WEBSOCKET_PATH + "staff/",
        fragment_url=reverse("buergerchat_board:department", args=[department.pk]) + "?fragment=1",
    )
    return TemplateResponse(request, "buergerchat_wagtail/admin/board.html", context)


@require_POST
def reassign(request, pk, conversation_id):
    department = _department_for(request, pk)
    if department is None:
        return forbidden(request)
    back = redirect("buergerchat_board:department", department.pk)
    try:
        assignee = int(request.POST.get("assignee") or 0) or None
    except ValueError:
        assignee = None
    try:
        found = commands.conversation(request.user, conversation_id, "assign")
        if found.department_id != department.pk:
            return forbidden(request)
        if found.assignee_id == assignee:
            admin_messages.info(
                request,
                _("Conversation %(reference)s is already assigned to this colleague.") % {"reference": found.reference},
            )
            return back
        frame = STAFF_FRAMES["assign"](v=PROTOCOL_VERSION, type="assign", conversation=found.pk, assignee=assignee)
        commands.assign(request.user, frame)
    except ProtocolError as exc:
        if exc.code == "forbidden":
            return forbidden(request)
        admin_messages.error(request, exc.detail)
        return back
    admin_messages.success(
        request, _("Conversation %(reference)s has been reassigned.") % {"reference": found.reference}
    )
    return back


class BoardMenuItem(MenuItem):
    def is_shown(self, request):
        return supervised_departments(request.user).exists()


class TeamBoardViewSet(ViewSet):
    """The "Leitung" view: one live board per supervised department."""

    name = "buergerchat_board"
    url_prefix = "buergerchat/team"
    icon = "group"
    menu_label = gettext_lazy("Team board")
    menu_order = 120
    menu_item_class = BoardMenuItem

    def get_urlpatterns(self):
        return [
            path("", board_index, name="index"),
            path("<int:pk>/", board, name="department"),
            path("<int:pk>/reassign/<int:conversation_id>/", reassign, name="reassign"),
        ]
