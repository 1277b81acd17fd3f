from django import template

from buergerchat_wagtail.availability import presence
from buergerchat_wagtail.availability import state as availability
from buergerchat_wagtail.conversations.permissions import conversation_permission_policy

register = template.Library()


@register.inclusion_tag("buergerchat_wagtail/admin/_staff_panel.html", takes_context=True)
def buergerchat_staff_panel(context):
    """Reachability of the user's departments now, and their own away switch."""
    request = context["request"]
    user = request.user
    departments = conversation_permission_policy.departments_for_user(user).select_related("office_hours")
    return {
        "request": request,
        "states": [(d, availability.department_state(d)) for d in departments],
        "away": presence.is_away(user),
        "member_ids": presence.department_ids_of(user),
    }
