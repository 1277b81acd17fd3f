"""Staff actions on one conversation besides replying: send a file, download a
file, close the conversation, archive it. Every view asks the permission policy
again; without JavaScript the forms post and redirect back."""

from django.http import HttpResponseNotFound, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from wagtail.admin import messages as admin_messages

from buergerchat_wagtail.casework import workflow
from buergerchat_wagtail.conversations import audit, payloads
from buergerchat_wagtail.conversations.permissions import conversation_permission_policy
from buergerchat_wagtail.files import attachments, transcripts
from buergerchat_wagtail.models import Attachment, ConversationStatus, SenderType
from buergerchat_wagtail.protocol.frames import ProtocolError, reply
from buergerchat_wagtail.views import private
from buergerchat_wagtail.views.admin.access import conversation_for, forbidden
from buergerchat_wagtail.views.file_transfer import (
    attachment_unavailable,
    fresh_message,
    read_upload,
    upload_status,
    with_retry_after,
)

CONVERSATION_URL = "buergerchat_inbox:conversation"


def _wants_json(request):
    return "application/json" in request.headers.get("Accept", "")


def _conversation_for(request, pk, action):
    """``None`` for unknown ids too: a 403 either way, so ids of other departments reveal nothing."""
    return conversation_for(request.user, pk, action)


@require_POST
def upload_attachment(request, pk):
    conversation = _conversation_for(request, pk, "reply")
    if conversation is None:
        return forbidden(request)
    back = reverse(CONVERSATION_URL, args=[conversation.pk])
    try:
        uploaded, client_id, caption = read_upload(request, conversation.department)
        message, created = attachments.store_attachment(
            conversation=conversation,
            sender=SenderType.STAFF,
            uploaded=uploaded,
            client_id=client_id,
            body=caption,
            author=request.user,
        )
    except ProtocolError as exc:
        if _wants_json(request):
            return with_retry_after(JsonResponse(exc.as_frame(), status=upload_status(exc)), exc)
        admin_messages.error(request, exc.detail)
        return redirect(back)
    if _wants_json(request):
        return JsonResponse(
            reply("ack", conversation=conversation.pk, client_id=str(client_id), duplicate=not created, message=payloads.message_payload(fresh_message(message), payloads.STAFF, department=conversation.department)),
            status=201 if created else 200,
        )
    admin_messages.success(request, _("The file has been sent."))
    return redirect(back)


def _attachment_for(request, pk):
    """The attachment if the user may see its conversation, else ``None`` (unknown ids too)."""
    attachment = Attachment.objects.select_related("conversation").filter(pk=pk).first()
    if attachment is None or not conversation_permission_policy.user_has_permission_for_instance(
        request.user, "view", attachment.conversation
    ):
        return None
    return attachment


@require_GET
def download_attachment(request, pk):
    attachment = _attachment_for(request, pk)
    if attachment is None:
        return forbidden(request)
    if not attachment.is_available:
        return attachment_unavailable(attachment)
    response = attachments.file_response(attachment)
    audit.log(attachment.conversation, audit.DOWNLOAD, user=request.user, data={"attachment": attachment.pk})
    return response


@require_GET
def attachment_thumbnail(request, pk):
    """The preview of a released image, as the conversation view shows it. Not recorded
    as a download: it is part of reading the conversation (which is the same right)."""
    attachment = _attachment_for(request, pk)
    if attachment is None:
        return forbidden(request)
    if not attachment.is_available:
        return attachment_unavailable(attachment)
    if not attachment.has_thumbnail:
        return HttpResponseNotFound()
    return private.no_store(attachments.thumbnail_response(attachment))


@require_POST
def close_conversation(request, pk):
    """Close without JavaScript (a plain form post): the workflow's status change."""
    conversation = _conversation_for(request, pk, "status")
    if conversation is None:
        return forbidden(request)
    if conversation.status == ConversationStatus.CLOSED:
        admin_messages.info(request, _("The conversation was already closed."))
        return redirect(reverse(CONVERSATION_URL, args=[conversation.pk]))
    try:
        locked = workflow.set_status(conversation, request.user, ConversationStatus.CLOSED)
    except ProtocolError:
        return forbidden(request)
    if locked.department.archive_on_close:
        admin_messages.success(request, _("The conversation has been closed and is being archived."))
    else:
        admin_messages.success(request, _("The conversation has been closed."))
    return redirect(reverse(CONVERSATION_URL, args=[conversation.pk]))


@require_POST
def archive_conversation(request, pk):
    conversation = _conversation_for(request, pk, "view")
    if conversation is None:
        return forbidden(request)
    transcripts.request_archive(conversation, user=request.user)
    admin_messages.success(
        request, _("The conversation is being archived. The PDF/A transcript will appear in the archive.")
    )
    return redirect(reverse(CONVERSATION_URL, args=[conversation.pk]))
