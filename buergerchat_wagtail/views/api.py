"""HTTP fallback of the chat protocol for networks that block WebSockets.

The citizen authenticates with the conversation secret in the
``X-Buergerchat-Secret`` header (never in the URL). Frames and errors are the same
as on the socket; see docs/protocol.md.
"""

import logging

from django.db import DatabaseError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Query, Schema
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import APIKeyHeader
from typing import Literal, Optional

from pydantic import ConfigDict, Field

from .. import audit, payloads, rights, services
from ..models import Conversation, SenderType
from ..protocol import CITIZEN_FRAMES, PROTOCOL_VERSION, ProtocolError, parse_frame
from ..ratelimit import RateLimited

SECRET_HEADER = "X-Buergerchat-Secret"
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


@api.exception_handler(ProtocolError)
def on_protocol_error(request, exc):
    return error_response(exc, 400)


@api.exception_handler(RateLimited)
def on_rate_limited(request, exc):
    response = error_response(exc, 429)
    response["Retry-After"] = str(exc.retry_after)
    return response


class OpenSchema(Schema):
    model_config = ConfigDict(extra="allow")


class ErrorFrame(OpenSchema):
    v: int
    type: Literal["error"]
    code: str
    detail: str
    ref: Optional[str] = None
    field: Optional[str] = None
    retry_after: Optional[int] = None


class MessageOut(OpenSchema):
    id: int
    client_id: str
    sender: str
    author: str
    body: str
    created_at: str


class ConversationOut(OpenSchema):
    reference: str
    subject: str
    status: str
    status_label: str
    department: str
    created_at: str


class ReadyFrame(OpenSchema):
    v: int
    type: Literal["ready"]
    conversation: ConversationOut
    messages: list[MessageOut]


class MessagesFrame(OpenSchema):
    v: int
    type: Literal["messages"]
    messages: list[MessageOut]


class AckFrame(OpenSchema):
    v: int
    type: Literal["ack"]
    client_id: str
    duplicate: bool
    message: MessageOut


class ExportDocument(OpenSchema):
    format: str
    exported_at: str
    conversation: dict
    messages: list[MessageOut]
    attachments: list
    documents: list


class ErasedFrame(OpenSchema):
    v: int
    type: Literal["erased", "erasure_requested"]


#: Error answers every endpoint may give (documented for the OpenAPI schema).
ERRORS = {400: ErrorFrame, 401: ErrorFrame, 429: ErrorFrame, 503: ErrorFrame}


class SyncQuery(Schema):
    after: int = Field(0, ge=0, le=2**63 - 1)


def _messages(conversation, after):
    return payloads.messages_payload(services.messages_after(conversation, after), payloads.CITIZEN, conversation)


@api.get("/conversation", summary="The conversation and its messages after an id", response={200: ReadyFrame, **ERRORS})
def get_conversation(request, query: Query[SyncQuery]):
    conversation = request.auth
    # JsonResponse: the response schemas document the frames; the payload modules build them.
    return JsonResponse(
        {
            "v": PROTOCOL_VERSION,
            "type": "ready",
            "conversation": payloads.conversation_payload(conversation, payloads.CITIZEN),
            "messages": _messages(conversation, query.after),
        }
    )


@api.get("/messages", summary="Messages after an id", response={200: MessagesFrame, **ERRORS})
def get_messages(request, query: Query[SyncQuery]):
    return JsonResponse({"v": PROTOCOL_VERSION, "type": "messages", "messages": _messages(request.auth, query.after)})


def message_request_schema():
    """The ``message`` frame as JSON schema, with the text rule of ``protocol.clean_body``
    (some non-blank character, at most MAX_MESSAGE_LENGTH characters)."""
    from ..conf import buergerchat_settings

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
    conversation = request.auth
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError("invalid_json", _("The request body is not UTF-8 text.")) from None
    frame = parse_frame(text, {"message": CITIZEN_FRAMES["message"]})
    message, created = services.post_message(
        conversation=conversation, sender=SenderType.CITIZEN, body=frame.body, client_id=frame.client_id
    )
    return JsonResponse(
        {
            "v": PROTOCOL_VERSION,
            "type": "ack",
            "client_id": str(frame.client_id),
            "duplicate": not created,
            "message": payloads.message_payload(message, payloads.CITIZEN, department_name=conversation.department.name),
        },
        status=201 if created else 200,
    )


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
    response["Cache-Control"] = "no-store"
    return response


@api.post(
    "/erase",
    summary="Delete the conversation (Art. 17 GDPR), or request it if it must be archived first",
    response={200: ErasedFrame, **ERRORS},
)
def erase(request):
    outcome = rights.citizen_requests_erasure(request.auth)
    return JsonResponse({"v": PROTOCOL_VERSION, "type": "erased" if outcome == "erased" else "erasure_requested"})
