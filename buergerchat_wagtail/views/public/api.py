"""HTTP fallback of the chat protocol for networks that block WebSockets.

The citizen authenticates with the conversation secret in the
``X-Buergerchat-Secret`` header (never in the URL). Every answer, errors included,
is private (``urls``: no-store, Vary on that header). Frames and errors are the same
as on the socket; see docs/protocol.md.
"""

import json
import logging

from django.db import DatabaseError
from django.http import JsonResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Query, Schema
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import APIKeyHeader
from pydantic import Field

from buergerchat_wagtail.commands import citizen as commands
from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.conversations import audit, payloads
from buergerchat_wagtail.conversations.ratelimit import RateLimited
from buergerchat_wagtail.files import attachments, transcripts
from buergerchat_wagtail.models import (
    Attachment,
    Conversation,
    SenderType,
    TranscriptKind,
)
from buergerchat_wagtail.privacy import rights
from buergerchat_wagtail.protocol.frames import (
    CITIZEN_FRAMES,
    ProtocolError,
    http_status,
    parse_frame,
    reply,
)
from buergerchat_wagtail.protocol.replies import (
    ERRORS,
    AckFrame,
    ErasedFrame,
    ErrorFrame,
    ExportDocument,
    ExtendedFrame,
    MessagesFrame,
    NoticesFrame,
    PendingFrame,
    RatedFrame,
    ReadFrame,
    ReadyFrame,
    ResumedFrame,
    ResumeLinkIn,
)
from buergerchat_wagtail.views.file_transfer import (
    attachment_unavailable,
    fresh_message,
    read_upload,
    upload_status,
    with_retry_after,
)
from buergerchat_wagtail.views.private import SECRET_HEADER, private_urls

logger = logging.getLogger(__name__)


class ConversationSecret(APIKeyHeader):
    param_name = SECRET_HEADER

    def authenticate(self, request, key):
        if not key:
            return None
        return Conversation.objects.for_secret(key).select_related("department").first()


api = NinjaAPI(
    title="Bürgerchat citizen API",
    version="1",
    description="HTTP fallback of the Bürgerchat WebSocket protocol (see docs/protocol.md).",
    urls_namespace="buergerchat:buergerchat-api",  # nested in the app namespace of urls.py
    auth=ConversationSecret(),
    docs_url=None,
)


def error_response(exc, status):
    return JsonResponse(exc.as_frame(), status=status)


@api.exception_handler(AuthenticationError)
def on_auth_error(request, exc):
    return error_response(ProtocolError("auth_failed", _("This conversation code is not valid.")), 401)


@api.exception_handler(ValidationError)
def on_validation_error(request, exc):
    return error_response(ProtocolError("invalid_request", _("The request has a missing or invalid parameter.")), 400)


@api.exception_handler(DatabaseError)
def on_database_error(request, exc):
    logger.warning("database unavailable in the citizen API", exc_info=True)
    return error_response(
        ProtocolError("unavailable", _("The server cannot store messages right now. Please try again shortly.")), 503
    )


#: Refusals because of the conversation's state (not the request's form): 409 Conflict.
@api.exception_handler(ProtocolError)
def on_protocol_error(request, exc):
    return error_response(exc, http_status(exc))


@api.exception_handler(RateLimited)
def on_rate_limited(request, exc):
    response = error_response(exc, 429)
    response["Retry-After"] = str(exc.retry_after)
    return response


def file_responses(content_type, description):
    """OpenAPI of a file download (the schema of ``response=`` covers JSON only)."""
    return {
        "responses": {
            "200": {
                "description": description,
                "content": {content_type: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    }


class SyncQuery(Schema):
    after: int = Field(0, ge=0, le=2**63 - 1)


def _frame_from_body(request, frame_type):
    """The request body as one citizen frame of ``frame_type`` (same validation as the socket)."""
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError("invalid_json", _("The request body is not UTF-8 text.")) from None
    return parse_frame(_integral_numbers(text), {frame_type: CITIZEN_FRAMES[frame_type]})


#: Integer fields of the citizen frames posted over HTTP.
INTEGER_FIELDS = ("up_to", "score")


def _integral_numbers(text):
    """JSON (and the OpenAPI schema's JSON Schema) has one number type: ``5.0`` is the
    integer 5. The strict frame models want Python ints, so integral floats of the
    integer fields become ints; anything else goes to ``parse_frame`` unchanged."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return text
    if not isinstance(data, dict):
        return text
    changed = False
    for field in INTEGER_FIELDS:
        value = data.get(field)
        if isinstance(value, float) and value.is_integer():
            data[field] = int(value)
            changed = True
    return json.dumps(data) if changed else text


def _frame_body(frame_type):
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": CITIZEN_FRAMES[frame_type].model_json_schema()}},
        }
    }


@api.get("/conversation", summary="The conversation and its messages after an id", response={200: ReadyFrame, **ERRORS})
def get_conversation(request, query: Query[SyncQuery]):
    commands.polled(request.auth.pk)
    # JsonResponse: the response schemas document the frames; the commands build them.
    return JsonResponse(commands.ready(request.auth.pk, query.after))


@api.get("/messages", summary="Messages after an id", response={200: MessagesFrame, **ERRORS})
def get_messages(request, query: Query[SyncQuery]):
    commands.polled(request.auth.pk)
    return JsonResponse(commands.sync(request.auth.pk, query))


def message_request_schema():
    """The ``message`` frame as JSON schema, with the text rule of ``protocol.clean_body``
    (some non-blank character, at most MAX_MESSAGE_LENGTH characters)."""
    schema = CITIZEN_FRAMES["message"].model_json_schema()
    schema["properties"]["body"].update(
        minLength=1, maxLength=buergerchat_settings.MAX_MESSAGE_LENGTH, pattern=r"[^\s\x00]"
    )
    return schema


@api.post(
    "/messages",
    summary="Send a message (a `message` frame); a resend with the same client_id is stored once",
    response={200: AckFrame, 201: AckFrame, **ERRORS},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": message_request_schema()}},
        }
    },
)
def post_message(request):
    answer = commands.send(request.auth.pk, _frame_from_body(request, "message"))
    return JsonResponse(answer, status=200 if answer["duplicate"] else 201)


@api.get(
    "/export",
    summary="All data of the conversation as a JSON document (Art. 15 GDPR)",
    response={200: ExportDocument, **ERRORS},
)
def export(request):
    conversation = request.auth
    audit.log(conversation, audit.CITIZEN_EXPORT)
    response = JsonResponse(rights.export_document(conversation, payloads.CITIZEN, request))
    response["Content-Disposition"] = f'attachment; filename="{rights.export_filename(conversation)}"'
    return response


@api.post(
    "/erase",
    summary="Delete the conversation (Art. 17 GDPR), or request it if it must be archived first",
    response={200: ErasedFrame, **ERRORS},
)
def erase(request):
    return JsonResponse(commands.erase(request.auth.pk))


@api.post(
    "/read",
    summary="Tell the staff how far the citizen has read (a `read` frame)",
    response={200: ReadFrame, **ERRORS},
    openapi_extra=_frame_body("read"),
)
def post_read(request):
    return JsonResponse(commands.read(request.auth.pk, _frame_from_body(request, "read")))


@api.post(
    "/extend",
    summary="Continue the chat after the idle warning (an `extend` frame)",
    response={200: ExtendedFrame, **ERRORS},
    openapi_extra=_frame_body("extend"),
)
def post_extend(request):
    return JsonResponse(commands.extend(request.auth.pk, _frame_from_body(request, "extend")))


@api.post(
    "/rating",
    summary="Rate a closed conversation (a `rate` frame)",
    response={201: RatedFrame, **ERRORS},
    openapi_extra=_frame_body("rate"),
)
def post_rating(request):
    return JsonResponse(commands.rate(request.auth.pk, _frame_from_body(request, "rate")), status=201)


# --------------------------------------------------------------------------- e-mail notices


@api.post(
    "/resume-link",
    auth=None,
    summary="Exchange the one-time token of a notice's link (from the URL fragment) for an access code",
    response={200: ResumedFrame, 410: ErrorFrame, **ERRORS},
)
def resume_link(request, payload: ResumeLinkIn):
    # No secret header: the token (256 random bits, one-time, short-lived) is the
    # credential. Wrong tokens do not use up the address's budget of wrong codes, which
    # would lock out every citizen behind the same address (nothing to guess here).
    try:
        return JsonResponse(commands.resume_link(payload.token))
    except ProtocolError as exc:
        return error_response(exc, 410)


@api.post(
    "/notices/stop",
    summary="Stop the e-mail notices of answers",
    response={200: NoticesFrame, **ERRORS},
)
def stop_notices(request):
    return JsonResponse(commands.stop_notices(request.auth.pk))


# --------------------------------------------------------------------------- attachments

@api.post(
    "/attachments",
    summary="Send a file (multipart: file, client_id, optional body); a resend with the same client_id is stored once",
    response={200: AckFrame, 201: AckFrame, 413: ErrorFrame, **ERRORS},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file", "client_id"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "client_id": {"type": "string", "format": "uuid"},
                            "body": {"type": "string"},
                        },
                    }
                }
            },
        }
    },
)
def upload_attachment(request):
    conversation = request.auth
    ref = None
    try:
        uploaded, client_id, caption = read_upload(request, conversation.department)
        ref = str(client_id)
        message, created = attachments.store_attachment(
            conversation=conversation, sender=SenderType.CITIZEN, uploaded=uploaded, client_id=client_id, body=caption
        )
    except ProtocolError as exc:
        exc.ref = exc.ref or ref
        return with_retry_after(error_response(exc, upload_status(exc)), exc)
    return JsonResponse(
        reply("ack", client_id=str(client_id), duplicate=not created, message=payloads.message_payload(
                fresh_message(message), payloads.CITIZEN, department=conversation.department
            )),
        status=201 if created else 200,
    )


@api.get(
    "/attachments/{attachment_id}",
    summary="Download a file of this conversation",
    url_name="download_attachment",
    response={403: ErrorFrame, 409: ErrorFrame, 410: ErrorFrame, **ERRORS},
    openapi_extra=file_responses("*/*", "The file, with its own content type"),
)
def download_attachment(request, attachment_id: int):
    attachment = Attachment.objects.filter(pk=attachment_id).first()
    # Unknown and foreign ids get the same answer, so ids of other conversations leak nothing.
    if attachment is None or attachment.conversation_id != request.auth.pk:
        return error_response(ProtocolError("forbidden", _("You may not access this file.")), 403)
    if not attachment.is_available:
        return attachment_unavailable(attachment)
    return attachments.file_response(attachment)


@api.get(
    "/attachments/{attachment_id}/thumbnail",
    summary="A small preview of an image of this conversation (the re-encoded image, at most 320 px)",
    url_name="attachment_thumbnail",
    response={403: ErrorFrame, 404: ErrorFrame, 409: ErrorFrame, 410: ErrorFrame, **ERRORS},
    openapi_extra=file_responses("image/*", "The preview, in the image's own type"),
)
def attachment_thumbnail(request, attachment_id: int):
    attachment = Attachment.objects.filter(pk=attachment_id).first()
    if attachment is None or attachment.conversation_id != request.auth.pk:
        return error_response(ProtocolError("forbidden", _("You may not access this file.")), 403)
    if not attachment.is_available:
        return attachment_unavailable(attachment)
    if not attachment.has_thumbnail:
        return error_response(ProtocolError("no_thumbnail", _("This file has no preview.")), 404)
    return attachments.thumbnail_response(attachment)


# --------------------------------------------------------------------------- transcript


@api.get(
    "/transcript",
    summary="The conversation as a PDF/A file; 202 while it is being prepared (ask again)",
    url_name="citizen_transcript",
    response={202: PendingFrame, **ERRORS},
    openapi_extra=file_responses("application/pdf", "The PDF/A transcript"),
)
def citizen_transcript(request, lang: str = ""):
    """``lang``: the page's language (the widget sends it); else the request's
    (LocaleMiddleware: the browser's), German or ``PDF_LANGUAGE`` otherwise."""
    conversation = request.auth
    language = transcripts.transcript_language(lang or get_language())
    transcript = transcripts.current_transcript(conversation, TranscriptKind.CITIZEN, language)
    if transcript is None:
        transcripts.request_citizen_transcript(conversation, language)
        # With the immediate task backend the job has already run.
        transcript = transcripts.current_transcript(conversation, TranscriptKind.CITIZEN, language)
    if transcript is None:
        response = JsonResponse(
            reply("pending", detail=_("The PDF is being prepared. Please wait a moment."), retry_after=2),
            status=202,
        )
        response["Retry-After"] = "2"
        return response
    return transcripts.transcript_response(transcript)


#: The API's URLs for ``include()``: every answer private (views.private).
urls = private_urls(api.urls)
