"""Everything registered with Wagtail, and only that."""

from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSetGroup

from .models import Conversation, Transcript
from .permissions import conversation_permission_policy, transcript_permission_policy
from .views.archive import ArchiveViewSet
from .views.departments import DepartmentViewSet
from .views.inbox import InboxViewSet

register_permission_policy(Conversation, conversation_permission_policy)
register_permission_policy(Transcript, transcript_permission_policy)


class BuergerchatViewSetGroup(SnippetViewSetGroup):
    """The "Bürgerchat" menu: the staff inbox, the archive and the editors' department snippets."""

    menu_label = _("Bürgerchat")
    menu_icon = "comment"
    menu_order = 250
    items = (InboxViewSet, ArchiveViewSet, DepartmentViewSet)


register_snippet(BuergerchatViewSetGroup)


@hooks.register("register_log_actions")
def buergerchat_log_actions(actions):
    from .transcripts import ARCHIVE_ACTION, DOWNLOAD_ACTION

    actions.register_action(ARCHIVE_ACTION, _("Archive conversation"), _("Conversation archived as PDF/A"))
    actions.register_action(DOWNLOAD_ACTION, _("Download archived transcript"), _("Archived transcript downloaded"))


@hooks.register("insert_global_admin_css")
def buergerchat_admin_css():
    return format_html('<link rel="stylesheet" href="{}">', static("buergerchat_wagtail/css/admin.css"))
