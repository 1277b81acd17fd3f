"""The reply frames of the HTTP API as django-ninja schemas, for its OpenAPI document
(docs/protocol.md describes the same frames for the socket). The frames themselves are
built by ``protocol.frames.reply`` from the payloads of ``conversations.payloads``."""

from typing import Literal, Optional

from ninja import Schema
from pydantic import ConfigDict


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


class ReadFrame(OpenSchema):
    v: int
    type: Literal["read"]
    reader: Literal["citizen"]
    up_to: int


class RatedFrame(OpenSchema):
    v: int
    type: Literal["rated"]
    conversation: ConversationOut


class ExtendedFrame(OpenSchema):
    v: int
    type: Literal["extended"]
    conversation: ConversationOut


class PendingFrame(OpenSchema):
    v: int
    type: Literal["pending"]
    detail: str
    retry_after: int


class ErasedFrame(OpenSchema):
    v: int
    type: Literal["erased", "erasure_requested"]


class ResumeLinkIn(Schema):
    token: str


class ResumedFrame(OpenSchema):
    v: int
    type: Literal["resumed"]
    secret: str


class NoticesFrame(OpenSchema):
    v: int
    type: Literal["notices"]
    enabled: bool


#: Error answers every endpoint may give (documented for the OpenAPI schema).
ERRORS = {400: ErrorFrame, 401: ErrorFrame, 409: ErrorFrame, 429: ErrorFrame, 503: ErrorFrame}
