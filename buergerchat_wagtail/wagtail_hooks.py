"""Everything registered with Wagtail, and only that."""

from django.contrib.auth.models import Permission
from django.templatetags.static import static
from django.urls import path
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import Menu, SubmenuMenuItem
from wagtail.admin.ui.sidebar import SubMenuItem as SubMenuItemComponent
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSetGroup

from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.conversations import audit
from buergerchat_wagtail.conversations.permissions import (
    conversation_permission_policy,
    transcript_permission_policy,
)
from buergerchat_wagtail.files.transcripts import ARCHIVE_ACTION
from buergerchat_wagtail.models import Conversation, Transcript
from buergerchat_wagtail.views.admin import components
from buergerchat_wagtail.views.admin.bulk_actions import BULK_ACTIONS
from buergerchat_wagtail.views.admin.archive import ArchiveViewSet
from buergerchat_wagtail.views.admin.board import TeamBoardViewSet
from buergerchat_wagtail.views.admin.canned_answers import CannedAnswerViewSet
from buergerchat_wagtail.views.admin.consultations import ConsultationHostViewSet, ConsultationSessionViewSet
from buergerchat_wagtail.views.admin.departments import DepartmentViewSet
from buergerchat_wagtail.views.admin.inbox import badge_attrs
from buergerchat_wagtail.views.admin.inbox_viewset import InboxViewSet
from buergerchat_wagtail.views.admin.launchers import ChatLauncherViewSet
from buergerchat_wagtail.views.admin.office_hours import OfficeHoursViewSet
from buergerchat_wagtail.views.admin.presence import set_away
from buergerchat_wagtail.views.admin.reports import ReportViewSet
from buergerchat_wagtail.views.admin.setup import SetupViewSet
from buergerchat_wagtail.views.admin.tags import ConversationTagViewSet

register_permission_policy(Conversation, conversation_permission_policy)
register_permission_policy(Transcript, transcript_permission_policy)


class BuergerchatMenuItem(SubmenuMenuItem):
    """The "Bürgerchat" menu entry, with the badge of waiting citizens (also visible
    while the submenu is closed)."""

    def render_component(self, request):
        return SubMenuItemComponent(
            self.name,
            self.label,
            self.menu.render_component(request),
            icon_name=self.icon_name,
            classname=self.classname,
            attrs={**self.attrs, **badge_attrs(request, self.label)},
        )


class BuergerchatViewSetGroup(SnippetViewSetGroup):
    """The "Bürgerchat" menu: the staff inbox, live consultations, the report and the
    archive, and the editors' snippets (departments, office hours, consultation
    sessions, canned answers, conversation tags)."""

    menu_label = _("Bürgerchat")
    menu_icon = "comment"
    menu_order = 250
    items = (
        InboxViewSet,
        TeamBoardViewSet,
        ConsultationHostViewSet,
        ReportViewSet,
        ArchiveViewSet,
        SetupViewSet,
        DepartmentViewSet,
        ChatLauncherViewSet,
        OfficeHoursViewSet,
        ConsultationSessionViewSet,
        CannedAnswerViewSet,
        ConversationTagViewSet,
    )

    def get_menu_item(self, order=None):
        return BuergerchatMenuItem(
            label=self.menu_label,
            menu=Menu(register_hook_name=self.submenu_hook, items=self.get_submenu_items()),
            name=self.menu_name,
            icon_name=self.menu_icon,
            order=self.get_menu_item_order(order),
        )


register_snippet(BuergerchatViewSetGroup)


@hooks.register("register_admin_urls")
def buergerchat_admin_urls():
    return [path("buergerchat/presence/away/", set_away, name="buergerchat_presence_away")]


@hooks.register("register_log_actions")
def buergerchat_log_actions(actions):
    actions.register_action(ARCHIVE_ACTION, _("Archive conversation"), _("Conversation archived as PDF/A"))


@hooks.register("insert_global_admin_css")
def buergerchat_admin_css():
    return format_html('<link rel="stylesheet" href="{}">', static("buergerchat_wagtail/css/admin.css"))


@hooks.register("register_log_actions")
def buergerchat_audit_log_actions(actions):
    audit.register_actions(actions)


@hooks.register("register_permissions")
def buergerchat_permissions():
    return Permission.objects.filter(
        content_type__app_label="buergerchat", codename__in=["erase_conversation", "supervise_department"]
    )


hooks.register("construct_homepage_panels", components.construct_homepage_panels)

for bulk_action in BULK_ACTIONS:
    hooks.register("register_bulk_action", bulk_action)


@hooks.register("insert_global_admin_js")
def buergerchat_presence_js():
    """On every admin page: the staff socket that makes a case worker present and
    brings browser notifications (the socket closes at once for users without a department)."""
    return format_html(
        '<script type="module" src="{}" data-bc-presence data-socket="{}" data-title="{}" data-body="{}"></script>',
        static("buergerchat_wagtail/js/presence.js"),
        "/" + buergerchat_settings.WEBSOCKET_PATH + "staff/",
        _("New conversation"),
        _("A citizen has started a conversation with %(department)s."),
    )
