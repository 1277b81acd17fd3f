"""The inbox's URLs: the listing, one conversation and the actions on it."""

import logging
from functools import partial

from django.urls import path
from django.utils.translation import gettext_lazy
from wagtail.admin.viewsets.base import ViewSet

from buergerchat_wagtail.views.admin import actions, saved_views, staff_actions
from buergerchat_wagtail.views.admin import rights as rights_views

logger = logging.getLogger(__name__)


from buergerchat_wagtail.views.admin.conversation import (
    ConversationView,
    conversation_messages,
    next_conversation,
)
from buergerchat_wagtail.views.admin.inbox import InboxMenuItem, InboxView


class InboxViewSet(ViewSet):
    name = "buergerchat_inbox"
    url_prefix = "buergerchat"
    icon = "comment"
    menu_label = gettext_lazy("Inbox")
    menu_order = 100
    menu_item_class = InboxMenuItem

    def get_urlpatterns(self):
        index = self.get_url_name("index")
        conversation = self.get_url_name("conversation")
        url_names = {
            name: self.get_url_name(name)
            for name in ("conversation", "take", "assign", "transfer", "status", "tags", "read", "next")
        }
        view_kwargs = {
            "index_url_name": index,
            "messages_url_name": self.get_url_name("messages"),
            "url_names": url_names,
            "close_url_name": self.get_url_name("close"),
            "export_url_name": self.get_url_name("export"),
            "erase_url_name": self.get_url_name("erase"),
            "history_url_name": self.get_url_name("history"),
        }
        listing_kwargs = {
            "index_url_name": index,
            "index_results_url_name": self.get_url_name("index_results"),
            "conversation_url_name": conversation,
            "next_url_name": url_names["next"],
            "save_view_url_name": self.get_url_name("save_view"),
        }
        return [
            path("", InboxView.as_view(**listing_kwargs), name="index"),
            path("results/", InboxView.as_view(results_only=True, **listing_kwargs), name="index_results"),
            path(
                "next/",
                partial(next_conversation, index_url_name=index, conversation_url_name=conversation),
                name="next",
            ),
            path("views/", saved_views.save_view, name="save_view"),
            path("views/<int:pk>/delete/", saved_views.delete_view, name="delete_view"),
            path("conversations/<int:pk>/", ConversationView.as_view(**view_kwargs), name="conversation"),
            path("conversations/<int:pk>/messages/", conversation_messages, name="messages"),
            path("conversations/<int:pk>/take/", actions.TakeView.as_view(**view_kwargs), name="take"),
            path("conversations/<int:pk>/assign/", actions.AssignView.as_view(**view_kwargs), name="assign"),
            path("conversations/<int:pk>/transfer/", actions.TransferView.as_view(**view_kwargs), name="transfer"),
            path("conversations/<int:pk>/status/", actions.StatusView.as_view(**view_kwargs), name="status"),
            path("conversations/<int:pk>/tags/", actions.TagsView.as_view(**view_kwargs), name="tags"),
            path("conversations/<int:pk>/read/", actions.mark_read, name="read"),
            path("conversations/<int:pk>/close/", staff_actions.close_conversation, name="close"),
            path("conversations/<int:pk>/export/", rights_views.export_conversation, name="export"),
            path(
                "conversations/<int:pk>/erase/",
                rights_views.EraseView.as_view(index_url_name=index, conversation_url_name=conversation),
                name="erase",
            ),
            path(
                "conversations/<int:pk>/history/",
                rights_views.ConversationHistoryView.as_view(
                    index_url_name=index,
                    edit_url_name=conversation,
                    history_url_name=self.get_url_name("history"),
                    history_results_url_name=self.get_url_name("history_results"),
                ),
                name="history",
            ),
            path(
                "conversations/<int:pk>/history/results/",
                rights_views.ConversationHistoryView.as_view(
                    index_url_name=index,
                    edit_url_name=conversation,
                    history_url_name=self.get_url_name("history"),
                    history_results_url_name=self.get_url_name("history_results"),
                    results_only=True,
                ),
                name="history_results",
            ),
            path("conversations/<int:pk>/attachments/", staff_actions.upload_attachment, name="upload"),
            path("conversations/<int:pk>/archive/", staff_actions.archive_conversation, name="archive"),
            path("attachments/<int:pk>/", staff_actions.download_attachment, name="attachment"),
            path("attachments/<int:pk>/thumbnail/", staff_actions.attachment_thumbnail, name="attachment_thumbnail"),
        ]
