"""Answers for staff who may not see something: always a plain 403, never a 404
that would reveal whether a conversation of another department exists."""

from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from buergerchat_wagtail.conversations.permissions import conversation_permission_policy
from buergerchat_wagtail.models import Conversation
from buergerchat_wagtail.protocol.frames import reply


def forbidden(request):
    """A plain 403 (Wagtail's admin would turn PermissionDenied into a redirect)."""
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse(
            reply("error", code="forbidden", detail=_("You may not access this conversation.")),
            status=403,
        )
    return TemplateResponse(request, "buergerchat_wagtail/admin/forbidden.html", status=403)


def conversation_for(user, pk, action):
    """The conversation if ``user`` may ``action`` it, else ``None`` -- also when it
    does not exist, so ids of other departments reveal nothing (403 either way)."""
    conversation = Conversation.objects.select_related("department").filter(pk=pk).first()
    if conversation is None or not conversation_permission_policy.user_has_permission_for_instance(
        user, action, conversation
    ):
        return None
    return conversation


