"""Files over HTTP, for the citizen API and the staff views alike: a multipart upload
(the size checked before the file is read, the client id and the caption) and the
answer for a file that cannot be downloaded (yet)."""

import uuid

from django.http import JsonResponse
from django.utils.translation import gettext as _

from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.conversations.ratelimit import RateLimited
from buergerchat_wagtail.files.uploads import MULTIPART_OVERHEAD, check_size
from buergerchat_wagtail.models import Message, ScanStatus
from buergerchat_wagtail.protocol.frames import ProtocolError, clean_body, http_status


def upload_limit(department):
    return min(department.max_attachment_bytes, buergerchat_settings.MAX_UPLOAD_BYTES)


def read_upload(request, department):
    """``(uploaded file, client id, caption)`` of a multipart upload, or ProtocolError.

    Shared by the citizen API and the staff view. A body larger than the
    department's limit is refused before it is parsed.
    """
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    limit = upload_limit(department)
    if length > limit + MULTIPART_OVERHEAD:
        check_size(length - MULTIPART_OVERHEAD, department)
    if not request.content_type.startswith("multipart/form-data"):
        raise ProtocolError("invalid_request", _("Please send the file as multipart/form-data."), field="file")
    raw_client_id = request.POST.get("client_id", "")
    try:
        client_id = uuid.UUID(raw_client_id)
    except ValueError:
        raise ProtocolError(
            "invalid_frame", _("The frame has a missing or invalid field: %(field)s.") % {"field": "client_id"}, field="client_id"
        ) from None
    ref = str(client_id)
    uploaded = request.FILES.get("file")
    if uploaded is None:
        raise ProtocolError("attachment_missing", _("Please choose a file."), ref=ref, field="file")
    caption = request.POST.get("body", "")
    caption = clean_body(caption, ref=ref) if caption.strip() else ""
    return uploaded, client_id, caption


def upload_status(exc):
    if exc.code == "attachment_too_large":
        return 413
    if exc.code == "rate_limited":
        return 429
    return http_status(exc)


def with_retry_after(response, exc):
    if isinstance(exc, RateLimited):
        response["Retry-After"] = str(exc.retry_after)
    return response


def fresh_message(message):
    """The message with its attachment as it is now (the scan may have finished)."""
    return Message.objects.select_related("attachment", "author").get(pk=message.pk)


def attachment_unavailable(attachment):
    """409 while the malware check runs, 410 once the file was removed as infected."""
    if attachment.status == ScanStatus.INFECTED:
        error = ProtocolError("attachment_removed", _("This file was removed because malware was found in it."))
        return JsonResponse(error.as_frame(), status=410)
    error = ProtocolError(
        "attachment_not_ready", _("This file is still being checked for malware. Please try again shortly.")
    )
    return JsonResponse(error.as_frame(), status=409)
