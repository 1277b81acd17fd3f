"""Consultation sessions in the admin: editors plan them (a snippet), and the staff of
the session's department host them live (take the next citizen, end talks)."""

import datetime

from django.contrib import messages as admin_messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.base import ViewSet
from wagtail.snippets.views.snippets import SnippetViewSet

from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.consultations import queue as consultations
from buergerchat_wagtail.conversations.permissions import (
    conversation_permission_policy,
    hostable_sessions,
    may_host_session,
)
from buergerchat_wagtail.models import ConsultationSession, QueueEntry, QueueStatus
from buergerchat_wagtail.views.admin.access import forbidden


def _local(value):
    return timezone.localtime(value).strftime("%d.%m.%Y %H:%M")


class ConsultationSessionViewSet(SnippetViewSet):
    model = ConsultationSession
    icon = "date"
    menu_label = gettext_lazy("Consultation dates")
    menu_order = 400
    url_prefix = "buergerchat/consultation-sessions"
    list_display = [
        "title",
        "host",
        Column("department", label=gettext_lazy("Department"), accessor="department.name"),
        Column("starts_at", label=gettext_lazy("Starts"), accessor=lambda s: _local(s.starts_at), sort_key="starts_at"),
    ]
    list_filter = ["department"]
    search_fields = ["title", "host"]
    ordering = ["-starts_at"]
    panels = [
        MultiFieldPanel(
            [FieldPanel("title"), FieldPanel("host"), FieldPanel("description"), FieldPanel("department")],
            heading=gettext_lazy("Session"),
        ),
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")]), FieldPanel("capacity")],
            heading=gettext_lazy("Time"),
        ),
        MultiFieldPanel([FieldPanel("public_qa")], heading=gettext_lazy("Publication")),
        InlinePanel(
            "answers",
            heading=gettext_lazy("Published questions and answers"),
            label=gettext_lazy("Question and answer"),
            help_text=gettext_lazy(
                "Added when the host ends a talk whose citizen agreed. Remove personal details before the "
                "session ends; they are shown on the page afterwards."
            ),
        ),
    ]


def _session_for(request, pk):
    session = get_object_or_404(ConsultationSession.objects.select_related("department"), pk=pk)
    return session if may_host_session(request.user, session) else None


def host_index(request):
    if not conversation_permission_policy.user_has_permission(request.user, "view"):
        return forbidden(request)
    since = timezone.now() - datetime.timedelta(days=7)
    sessions = hostable_sessions(request.user).filter(ends_at__gte=since).select_related("department").order_by("starts_at")
    return TemplateResponse(
        request,
        "buergerchat_wagtail/admin/host_index.html",
        {"sessions": sessions, "now": timezone.now(), "page_title": _("Host a live consultation"), "header_icon": "date"},
    )


def queue_context(session):
    consultations.finish_if_over(session)
    entries = list(QueueEntry.objects.filter(session=session).select_related("conversation").order_by("joined_at", "pk"))
    waiting = [e for e in entries if e.status == QueueStatus.WAITING]
    active = [e for e in entries if e.status == QueueStatus.ACTIVE]
    finished = [e for e in entries if e.status not in (QueueStatus.WAITING, QueueStatus.ACTIVE)]
    now = timezone.now()
    return {
        "session": session,
        "waiting": waiting,
        "active": active,
        "finished": finished,
        "running": session.is_running(now),
        "ended": session.has_ended(now),
        "may_take": session.is_running(now) and bool(waiting) and len(active) < session.capacity,
    }


def host_queue(request, pk):
    session = _session_for(request, pk)
    if session is None:
        return forbidden(request)
    context = queue_context(session)
    if request.GET.get("fragment") == "1":
        return TemplateResponse(request, "buergerchat_wagtail/admin/_queue.html", context)
    context.update(
        page_title=session.title,
        header_icon="date",
        socket_path="/" + buergerchat_settings.WEBSOCKET_PATH + "staff/",
        fragment_url=reverse("buergerchat_consultations:queue", args=[session.pk]) + "?fragment=1",
    )
    return TemplateResponse(request, "buergerchat_wagtail/admin/host_queue.html", context)


@require_POST
def take_next(request, pk):
    session = _session_for(request, pk)
    if session is None:
        return forbidden(request)
    try:
        entry = consultations.take_next(session)
    except consultations.QueueError as exc:
        admin_messages.error(request, str(exc))
    else:
        admin_messages.success(
            request,
            _("%(name)s is now in conversation with you.") % {"name": entry.conversation.citizen_name or _("A citizen")},
        )
    return redirect("buergerchat_consultations:queue", session.pk)


@require_POST
def end_talk(request, pk, entry_id):
    session = _session_for(request, pk)
    if session is None:
        return forbidden(request)
    entry = get_object_or_404(QueueEntry.objects.select_related("session"), pk=entry_id, session=session)
    try:
        consultations.end_talk(entry)
    except consultations.QueueError as exc:
        admin_messages.error(request, str(exc))
    else:
        admin_messages.success(request, _("The talk has ended."))
    return redirect("buergerchat_consultations:queue", session.pk)


class HostMenuItem(MenuItem):
    def is_shown(self, request):
        return conversation_permission_policy.user_has_permission(request.user, "view")


class ConsultationHostViewSet(ViewSet):
    """The host's side: today's sessions of their departments and each session's queue."""

    name = "buergerchat_consultations"
    url_prefix = "buergerchat/consultations"
    icon = "date"
    menu_label = gettext_lazy("Host a live consultation")
    menu_order = 150
    menu_item_class = HostMenuItem

    def get_urlpatterns(self):
        return [
            path("", host_index, name="index"),
            path("<int:pk>/", host_queue, name="queue"),
            path("<int:pk>/take-next/", take_next, name="take_next"),
            path("<int:pk>/end/<int:entry_id>/", end_talk, name="end_talk"),
        ]
