"""Everything registered with Wagtail, and only that."""

from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSetGroup

from . import audit
from .models import Conversation
from .permissions import conversation_permission_policy
from .views.departments import DepartmentViewSet
from .views.inbox import InboxViewSet

register_permission_policy(Conversation, conversation_permission_policy)


class BuergerchatViewSetGroup(SnippetViewSetGroup):
    """The "Bürgerchat" menu: the staff inbox and the editors' department snippets."""

    menu_label = _("Bürgerchat")
    menu_icon = "comment"
    menu_order = 250
    items = (InboxViewSet, DepartmentViewSet)


register_snippet(BuergerchatViewSetGroup)


@hooks.register("insert_global_admin_css")
def buergerchat_admin_css():
    return format_html('<link rel="stylesheet" href="{}">', static("buergerchat_wagtail/css/admin.css"))


@hooks.register("register_log_actions")
def buergerchat_log_actions(actions):
    audit.register_actions(actions)


@hooks.register("register_permissions")
def buergerchat_permissions():
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(content_type__app_label="buergerchat", codename="erase_conversation")
