import secrets

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.snippets.blocks import SnippetChooserBlock

from buergerchat_wagtail.availability import state as availability
from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.consultations import queue as consultations
from buergerchat_wagtail.editor.forms import JoinQueueForm, StartConversationForm, privacy_token
from buergerchat_wagtail.editor.topics import topics_token, usable_topics
from buergerchat_wagtail.models import (
    BuergerchatSiteSettings,
    ConsultationSession,
    Department,
    PublishedAnswer,
)
from buergerchat_wagtail.models.blocks import TopicBlock
from buergerchat_wagtail.models.filetypes import labels, mime_type
from buergerchat_wagtail.protocol.frames import COMMENT_MAX_LENGTH


def rating_choices():
    return [
        (1, _("1 – not satisfied")),
        (2, "2"),
        (3, "3"),
        (4, "4"),
        (5, _("5 – very satisfied")),
    ]


DISPLAY_INLINE = "inline"
DISPLAY_LAUNCHER = "launcher"


def display_choices():
    return [
        (DISPLAY_INLINE, _("In the page (inline)")),
        (DISPLAY_LAUNCHER, _("Chat button in the lower right corner (opens the chat)")),
    ]


class ChatBlock(blocks.StructBlock):
    """A live chat with one department, or with a department chosen by topic, placed by
    an editor on any page: in the page, or behind a floating chat button."""

    display = blocks.ChoiceBlock(
        label=_("Display"),
        choices=display_choices,
        default=DISPLAY_INLINE,
        help_text=_("In the page: the chat is part of the page. Chat button: a button in the lower right corner opens the chat."),
    )
    launcher_label = blocks.CharBlock(
        label=_("Text of the chat button"),
        required=False,
        max_length=40,
        help_text=_("Only for the chat button. Empty: “Chat with us”."),
    )
    department = SnippetChooserBlock(
        "buergerchat.Department",
        label=_("Department"),
        required=False,
        help_text=_(
            "Whose staff answer the citizens who start a chat here. Leave empty if you add topics; "
            "empty without topics: the default department of the Bürgerchat settings."
        ),
    )
    topics = blocks.ListBlock(
        TopicBlock(),
        label=_("Topics"),
        default=[],
        min_num=0,
        help_text=_(
            "Instead of one department: citizens first choose a topic; the chat goes to the topic's department "
            "and the subject starts with the topic's subject."
        ),
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
    greeting = blocks.TextBlock(
        label=_("Greeting"),
        required=False,
        help_text=_("Shown in the chat instead of the department's greeting. Empty: the department's greeting."),
    )
    show_office_hours = blocks.BooleanBlock(
        label=_("Show office hours"),
        required=False,
        default=True,
        help_text=_("Shows whether the chat is staffed now and offers the office hours as a calendar file."),
    )
    privacy_page = blocks.PageChooserBlock(
        label=_("Privacy notice page"),
        required=False,
        help_text=_(
            "Citizens confirm that they have read this page before they start a chat. "
            "Empty: the privacy notice page of the Bürgerchat settings."
        ),
    )

    class Meta:
        template = "buergerchat_wagtail/blocks/chat_block.html"
        preview_template = "buergerchat_wagtail/blocks/chat_block_preview.html"
        icon = "comment"
        label = _("Citizen chat")
        help_text = _("A chat in which citizens write to a department; staff answer in the admin.")
        description = _(
            "A chat in which citizens write to a department (or choose a topic); staff answer in the admin. "
            "Shown in the page or behind a chat button."
        )

    def clean(self, value):
        value = super().clean(value)
        errors = {}
        if value.get("department") is not None and value.get("topics"):
            errors["department"] = ValidationError(
                _("Choose either one department or topics, not both. Remove the department or the topics."),
                code="department_and_topics",
            )
        elif value.get("department") is None and not value.get("topics") and BuergerchatSiteSettings.active_default_department() is None:
            errors["department"] = ValidationError(
                _(
                    "Choose a department or add topics: the Bürgerchat settings name no default department."
                ),
                code="department_required",
            )
        if errors:
            raise StructBlockValidationError(block_errors=errors)
        return value

    def get_preview_value(self):
        # A real department, so the preview shows the widget as citizens see it.
        department = BuergerchatSiteSettings.active_default_department() or Department.objects.active().order_by("name").first()
        return self.normalize({"department": department, "heading": "", "display": DISPLAY_INLINE})

    def get_preview_context(self, value, parent_context=None):
        context = super().get_preview_context(value, parent_context=parent_context)
        context = dict(context or {})
        context["buergerchat_block_preview"] = True
        return context

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        request = context.get("request")
        site_settings = BuergerchatSiteSettings.for_request_or_default(request)
        topics = usable_topics(value.get("topics"))
        department = value.get("department")
        if department is None and topics:
            # Availability and the browser storage key follow the first topic's department.
            department = topics[0]["department"]
        if department is None and not value.get("topics"):
            department = site_settings.default_department
        privacy_page = value.get("privacy_page") or site_settings.privacy_page
        widget_id = secrets.token_hex(4)
        context["is_preview"] = bool(getattr(request, "is_preview", False)) or bool(
            (parent_context or {}).get("buergerchat_block_preview")
        )
        context["widget_id"] = widget_id
        context["department"] = department
        context["display"] = value.get("display") or DISPLAY_INLINE
        context["launcher_label"] = value.get("launcher_label") or _("Chat with us")
        context["greeting"] = value.get("greeting") or ""
        context["show_office_hours"] = value.get("show_office_hours") is not False
        context["theme_url"] = theme_url(site_settings)
        context["max_length"] = buergerchat_settings.MAX_MESSAGE_LENGTH
        context["resync_interval"] = buergerchat_settings.RESYNC_INTERVAL
        context["socket_path"] = "/" + buergerchat_settings.WEBSOCKET_PATH + "citizen/"
        context["rating_choices"] = rating_choices()
        context["comment_max_length"] = COMMENT_MAX_LENGTH
        if department is not None:
            # Rendered into the HTML for browsers without JavaScript; the widget asks the
            # status endpoint on load, so a cached page never shows a stale state.
            context["state"] = availability.department_state(department)
            context["accept_types"] = ",".join(mime_type(kind) for kind in department.attachment_types)
            context["allowed_types_label"] = labels(department.attachment_types)
            privacy_url = privacy_page.get_url(request) if privacy_page else None
            context["form"] = StartConversationForm(
                privacy_url=privacy_url,
                widget_id=widget_id,
                action=reverse("buergerchat:start", args=[department.pk]),
                topics_token=topics_token(topics) if topics else "",
                initial={
                    "privacy_page": privacy_page.pk if privacy_page else None,
                    "privacy_token": privacy_token(privacy_page.pk) if privacy_page else "",
                    "page": _page_id(parent_context),
                },
            )
        return context


def theme_url(site_settings):
    """The stylesheet with the site's brand colour, or ``None`` for the standard colours."""
    if not site_settings.brand_colour:
        return None
    return reverse("buergerchat:theme") + "?c=" + site_settings.brand_colour.lstrip("#").lower()


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


def launcher_block(launcher):
    """A section launcher as a ChatBlock and its value (the block renders both)."""
    block = ChatBlock()
    return block, block.to_python(
        {
            "display": DISPLAY_LAUNCHER,
            "launcher_label": launcher.label,
            "department": launcher.department_id,
            "topics": [
                {"label": t["label"], "department": t["department"].pk if t["department"] else None, "subject": t["subject"]}
                for t in launcher.topic_values()
            ],
            "heading": launcher.heading,
            "intro": "",
            "greeting": launcher.greeting,
            "show_office_hours": launcher.show_office_hours,
            "privacy_page": None,
        }
    )
