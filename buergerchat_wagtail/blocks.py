import secrets

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.snippets.blocks import SnippetChooserBlock

from .conf import buergerchat_settings
from .forms import StartConversationForm, privacy_token


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
        context["socket_path"] = "/" + buergerchat_settings.WEBSOCKET_PATH + "citizen/"
        if department is not None:
            privacy_url = privacy_page.get_url(request) if privacy_page else None
            context["form"] = StartConversationForm(
                privacy_url=privacy_url,
                widget_id=widget_id,
                action=reverse("buergerchat:start", args=[department.pk]),
                initial={
                    "privacy_page": privacy_page.pk if privacy_page else None,
                    "privacy_token": privacy_token(privacy_page.pk) if privacy_page else "",
                },
            )
        return context
