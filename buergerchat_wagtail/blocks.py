import secrets

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.snippets.blocks import SnippetChooserBlock

from . import availability
from .conf import buergerchat_settings
from .forms import JoinQueueForm, StartConversationForm, privacy_token
from .protocol import COMMENT_MAX_LENGTH


def rating_choices():
    return [
        (1, _("1 – not satisfied")),
        (2, "2"),
        (3, "3"),
        (4, "4"),
        (5, _("5 – very satisfied")),
    ]


class ChatBlock(blocks.StructBlock):
    """A live chat with one department, placed by an editor on any page."""

    department = SnippetChooserBlock(
        "buergerchat.Department",
        label=_("Department"),
        help_text=_("Whose staff answer the citizens who start a chat here."),
    )
    heading = blocks.CharBlock(
        label=_("Heading"),
        required=False,
        max_length=120,
        help_text=_("Shown above the chat. Empty: the department's name."),
    )
    intro = blocks.TextBlock(
        label=_("Introduction"),
        required=False,
        help_text=_("A few words on what citizens can ask here."),
    )
    privacy_page = blocks.PageChooserBlock(
        label=_("Privacy notice page"),
        help_text=_("Citizens confirm that they have read this page before they start a chat."),
    )

    class Meta:
        template = "buergerchat_wagtail/blocks/chat_block.html"
        icon = "comment"
        label = _("Citizen chat")
        help_text = _("A chat in which citizens write to a department; staff answer in the admin.")

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        request = context.get("request")
        department = value.get("department")
        privacy_page = value.get("privacy_page")
        widget_id = secrets.token_hex(4)
        context["is_preview"] = bool(getattr(request, "is_preview", False))
        context["widget_id"] = widget_id
        context["department"] = department
        context["max_length"] = buergerchat_settings.MAX_MESSAGE_LENGTH
        context["resync_interval"] = buergerchat_settings.RESYNC_INTERVAL
        context["socket_path"] = "/" + buergerchat_settings.WEBSOCKET_PATH + "citizen/"
        context["rating_choices"] = rating_choices()
        context["comment_max_length"] = COMMENT_MAX_LENGTH
        if department is not None:
            # Rendered into the HTML for browsers without JavaScript; the widget asks the
            # status endpoint on load, so a cached page never shows a stale state.
            context["state"] = availability.department_state(department)
            from .models.filetypes import labels, mime_type

            context["accept_types"] = ",".join(mime_type(kind) for kind in department.attachment_types)
            context["allowed_types_label"] = labels(department.attachment_types)
            privacy_url = privacy_page.get_url(request) if privacy_page else None
            context["form"] = StartConversationForm(
                privacy_url=privacy_url,
                widget_id=widget_id,
                action=reverse("buergerchat:start", args=[department.pk]),
                initial={
                    "privacy_page": privacy_page.pk if privacy_page else None,
                    "privacy_token": privacy_token(privacy_page.pk) if privacy_page else "",
                    "page": _page_id(parent_context),
                },
            )
        return context


def _page_id(parent_context):
    page = (parent_context or {}).get("page")
    return getattr(page, "pk", None)


class ConsultationBlock(blocks.StructBlock):
    """Upcoming consultation sessions with calendar downloads, the queue of the next
    session, and, after public sessions, their published questions and answers."""

    heading = blocks.CharBlock(label=_("Heading"), required=False, max_length=120)
    intro = blocks.TextBlock(label=_("Introduction"), required=False)
    department = SnippetChooserBlock(
        "buergerchat.Department",
        label=_("Department"),
        required=False,
        help_text=_("Only sessions of this department. Empty: all sessions."),
    )
    privacy_page = blocks.PageChooserBlock(
        label=_("Privacy notice page"),
        help_text=_("Citizens confirm that they have read this page before they join the queue."),
    )
    limit = blocks.IntegerBlock(label=_("Sessions shown"), default=5, min_value=1, max_value=20)

    class Meta:
        template = "buergerchat_wagtail/blocks/consultation_block.html"
        icon = "date"
        label = _("Consultation sessions")
        help_text = _("Upcoming live consultation hours; citizens join the queue during a session.")

    def get_context(self, value, parent_context=None):
        from django.utils import timezone

        from . import consultations
        from .models import ConsultationSession, PublishedAnswer

        context = super().get_context(value, parent_context=parent_context)
        request = context.get("request")
        now = timezone.now()
        sessions = ConsultationSession.objects.select_related("department")
        department = value.get("department")
        if department is not None:
            sessions = sessions.filter(department=department)
        upcoming = list(sessions.upcoming(now)[: value.get("limit") or 5])
        current = upcoming[0] if upcoming else None
        widget_id = secrets.token_hex(4)
        context.update(
            is_preview=bool(getattr(request, "is_preview", False)),
            widget_id=widget_id,
            sessions=upcoming,
            current=current,
            now=now,
            max_length=buergerchat_settings.MAX_MESSAGE_LENGTH,
            socket_path="/" + buergerchat_settings.WEBSOCKET_PATH + "citizen/",
            rating_choices=rating_choices(),
            comment_max_length=COMMENT_MAX_LENGTH,
            answers=list(
                PublishedAnswer.objects.filter(session__in=sessions.filter(ends_at__lte=now, public_qa=True))
                .select_related("session")
                .order_by("-session__starts_at", "sort_order", "pk")[:50]
            ),
        )
        if current is not None:
            privacy_page = value.get("privacy_page")
            context["state"] = consultations.session_state(current, now)
            context["form"] = JoinQueueForm(
                public_qa=current.public_qa,
                privacy_url=privacy_page.get_url(request) if privacy_page else None,
                widget_id=widget_id,
                action=reverse("buergerchat:join_queue", args=[current.pk]),
                initial={
                    "privacy_page": privacy_page.pk if privacy_page else None,
                    "privacy_token": privacy_token(privacy_page.pk) if privacy_page else "",
                    "page": _page_id(parent_context),
                },
            )
        return context
