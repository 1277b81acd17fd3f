"""Citizens join a consultation session's queue (the session's start form)."""

from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from buergerchat_wagtail.commands import citizen as commands
from buergerchat_wagtail.consultations import queue as consultations
from buergerchat_wagtail.conversations.ratelimit import client_hash, request_address
from buergerchat_wagtail.editor.forms import JoinQueueForm
from buergerchat_wagtail.models import ConsultationSession
from buergerchat_wagtail.protocol.frames import ProtocolError
from buergerchat_wagtail.views.private import private
from buergerchat_wagtail.views.public.citizen import (
    _privacy_url,
    check_start_form,
    started_response,
)


# CSRF-exempt for the same reason as the chat's start form (no cookie before consent).
@csrf_exempt
@private
@require_POST
@sensitive_post_parameters("text", "name", "email")
def join_queue(request, session_id):
    session = get_object_or_404(ConsultationSession.objects.select_related("department"), pk=session_id)
    form = JoinQueueForm(
        request.POST,
        public_qa=session.public_qa,
        widget_id=request.POST.get("widget_id", ""),
        privacy_url=_privacy_url(request, request.POST.get("privacy_page")),
        action=request.path,
    )
    refusal, privacy_page = check_start_form(request, form)
    if refusal is not None:
        return refusal
    try:
        entry, secret = commands.join_queue(
            session,
            text=form.cleaned_data["text"],
            name=form.cleaned_data["name"].strip(),
            email=form.cleaned_data["email"],
            consent=form.cleaned_data.get("publish", False),
            page=form.cleaned_data["page"],
            privacy_page=privacy_page,
            client=client_hash(request_address(request)),
        )
    except ProtocolError as exc:
        # session_closed, queue_full, already_queued: the session's state (409).
        frame = exc.as_frame() | {"availability": consultations.session_state(session)}
        return JsonResponse(frame, status=409)
    return started_response(entry.conversation, secret, None, queue=consultations.entry_payload(entry))
