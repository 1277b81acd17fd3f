"""Blocks stored in the models' StreamFields: the topics of a section's chat button."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.snippets.blocks import SnippetChooserBlock

LABEL_MAX_LENGTH = 80
SUBJECT_MAX_LENGTH = 80


class TopicBlock(blocks.StructBlock):
    label = blocks.CharBlock(
        label=_("Topic"),
        max_length=LABEL_MAX_LENGTH,
        help_text=_("What citizens choose, e.g. “Personalausweis”."),
    )
    department = SnippetChooserBlock(
        "buergerchat.Department",
        label=_("Department"),
        help_text=_("Chats on this topic go to this department."),
    )
    subject = blocks.CharBlock(
        label=_("Subject"),
        max_length=SUBJECT_MAX_LENGTH,
        required=False,
        help_text=_("Put in front of the conversation's subject for the staff, e.g. “Personalausweis beantragen”. Empty: the topic."),
    )

    class Meta:
        icon = "tag"
        label = _("Topic")
