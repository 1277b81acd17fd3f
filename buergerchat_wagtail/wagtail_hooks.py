"""Everything registered with Wagtail, and only that."""

from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import Menu, SubmenuMenuItem
from wagtail.admin.ui.sidebar import SubMenuItem as SubMenuItemComponent
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSetGroup

from . import components
from .models import Conversation
from .permissions import conversation_permission_policy
from .views.canned_answers import CannedAnswerViewSet
from .views.departments import DepartmentViewSet
from .views.inbox import InboxViewSet, badge_attrs
from .views.reports import ReportViewSet

register_permission_policy(Conversation, conversation_permission_policy)


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
    """The "Bürgerchat" menu: inbox and report for staff, departments and canned answers for editors."""

    menu_label = _("Bürgerchat")
    menu_icon = "comment"
    menu_order = 250
    items = (InboxViewSet, ReportViewSet, DepartmentViewSet, CannedAnswerViewSet)

    def get_menu_item(self, order=None):
        return BuergerchatMenuItem(
            label=self.menu_label,
            menu=Menu(register_hook_name=self.submenu_hook, items=self.get_submenu_items()),
            name=self.menu_name,
            icon_name=self.menu_icon,
            order=self.get_menu_item_order(order),
        )


register_snippet(BuergerchatViewSetGroup)


@hooks.register("insert_global_admin_css")
def buergerchat_admin_css():
    return format_html('<link rel="stylesheet" href="{}">', static("buergerchat_wagtail/css/admin.css"))


hooks.register("construct_homepage_panels", components.construct_homepage_panels)
