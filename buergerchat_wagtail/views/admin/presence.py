"""The case worker's "away" switch (a plain form; works without JavaScript)."""

from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from buergerchat_wagtail.availability import presence
from buergerchat_wagtail.casework import assignment
from buergerchat_wagtail.conversations.permissions import conversation_permission_policy
from buergerchat_wagtail.views.admin.access import forbidden


@require_POST
def set_away(request):
    if not conversation_permission_policy.user_has_permission(request.user, "view"):
        return forbidden(request)
    away = request.POST.get("away")
    if away not in ("0", "1"):
        return redirect("buergerchat_inbox:index")
    presence.set_away(request.user, away == "1")
    assignment.presence_changed(request.user)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        target = "buergerchat_inbox:index"
    return redirect(target)
