"""Frames of the Bürgerchat protocol (version 1) and their validation.

Shared by the WebSocket consumers and the HTTP fallback so that both accept and
refuse exactly the same input. See docs/protocol.md.
"""

import json
import uuid
from typing import Annotated, Literal

from django.utils.translation import gettext as _
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError

from buergerchat_wagtail.conf import buergerchat_settings

PROTOCOL_VERSION = 1

Id = Annotated[StrictInt, Field(ge=1, le=2**63 - 1)]
After = Annotated[StrictInt, Field(ge=0, le=2**63 - 1)]
Score = Annotated[StrictInt, Field(ge=1, le=5)]
#: Longest transfer reason and rating comment, in characters.
REASON_MAX_LENGTH = 500
COMMENT_MAX_LENGTH = 1000


class ProtocolError(Exception):
    """A refused frame or request. ``code`` is stable, ``detail`` is for people."""

    def __init__(self, code, detail, *, ref=None, field=None):
        super().__init__(code)
        self.code = code
        self.detail = str(detail)
        self.ref = ref
        self.field = field

    def as_frame(self):
        extra = {key: value for key, value in (("ref", self.ref), ("field", self.field)) if value is not None}
        return reply("error", code=self.code, detail=self.detail, **extra)


#: Refusals that answer HTTP 409 (the request conflicts with the conversation's state).
CONFLICT_CODES = {"conversation_closed", "not_closed", "already_rated"}


def http_status(error):
    """The HTTP status of a refusal, for the transports that answer over HTTP."""
    return 409 if error.code in CONFLICT_CODES else 400


def reply(frame_type, **data):
    """The one frame builder: every frame the server sends, over the socket or as an
    HTTP response body, is ``{"v": PROTOCOL_VERSION, "type": frame_type, **data}``."""
    return {"v": PROTOCOL_VERSION, "type": frame_type, **data}


def ack(client_id, message, *, duplicate, **data):
    """The answer to a stored message: its id and time; ``duplicate`` for a resend."""
    return reply("ack", **data, client_id=str(client_id), duplicate=duplicate, message=message)


def is_protocol_version(value):
    """Only the JSON integer 1 is version 1: not ``true``, not ``1.0`` (Python finds
    ``True == 1.0 == 1``)."""
    return type(value) is int and value == PROTOCOL_VERSION


def _exact_version(value):
    if not is_protocol_version(value):
        raise ValueError("the protocol version must be the integer 1")
    return value


class Frame(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    v: Annotated[Literal[1], BeforeValidator(_exact_version)]
    type: str


class PingFrame(Frame):
    type: Literal["ping"]


class AuthFrame(Frame):
    type: Literal["auth"]
    secret: Annotated[StrictStr, Field(min_length=1, max_length=200)]
    after: After = 0


class CitizenMessageFrame(Frame):
    type: Literal["message"]
    client_id: uuid.UUID
    body: StrictStr


class CitizenSyncFrame(Frame):
    type: Literal["sync"]
    after: After


class LeaveQueueFrame(Frame):
    type: Literal["leave_queue"]


class ExtendFrame(Frame):
    """The citizen answers the idle warning with "continue chat" (WCAG 2.2.1)."""

    type: Literal["extend"]


class SubscribeFrame(Frame):
    type: Literal["subscribe"]
    conversation: Id
    after: After = 0


class UnsubscribeFrame(Frame):
    type: Literal["unsubscribe"]
    conversation: Id


class WatchTeamFrame(Frame):
    """The team board: receive ``presence`` frames of a department the user supervises."""

    type: Literal["watch_team"]
    department: Id


class StaffMessageFrame(Frame):
    type: Literal["message"]
    conversation: Id
    client_id: uuid.UUID
    body: StrictStr


class StaffSyncFrame(Frame):
    type: Literal["sync"]
    conversation: Id
    after: After


# ---- the case worker's workplace: typing, read receipts, notes, assignment,
# transfer, status, rating.


class CitizenTypingFrame(Frame):
    type: Literal["typing"]
    active: StrictBool


class CitizenReadFrame(Frame):
    type: Literal["read"]
    up_to: Id


class RateFrame(Frame):
    type: Literal["rate"]
    score: Score
    comment: Annotated[StrictStr, Field(max_length=COMMENT_MAX_LENGTH)] = ""


class StaffTypingFrame(Frame):
    type: Literal["typing"]
    conversation: Id
    active: StrictBool
    #: Typing a note: only colleagues see the indicator, never the citizen.
    note: StrictBool = False


class StaffReadFrame(Frame):
    type: Literal["read"]
    conversation: Id
    up_to: Id


class NoteFrame(Frame):
    type: Literal["note"]
    conversation: Id
    client_id: uuid.UUID
    body: StrictStr


class TakeFrame(Frame):
    type: Literal["take"]
    conversation: Id


class AssignFrame(Frame):
    type: Literal["assign"]
    conversation: Id
    #: A colleague's user id, or null to remove the assignment.
    assignee: Id | None


class TransferFrame(Frame):
    type: Literal["transfer"]
    conversation: Id
    department: Id
    reason: Annotated[StrictStr, Field(max_length=REASON_MAX_LENGTH)]


class StatusFrame(Frame):
    type: Literal["status"]
    conversation: Id
    status: Literal["open", "waiting", "closed"]


class TagsFrame(Frame):
    type: Literal["tags"]
    conversation: Id
    #: Tag ids (of the conversation's department) to add and to remove.
    add: Annotated[list[Id], Field(max_length=50)] = []
    remove: Annotated[list[Id], Field(max_length=50)] = []


def _by_type(*frames):
    return {f.model_fields["type"].annotation.__args__[0]: f for f in frames}


CITIZEN_FRAMES = _by_type(
    PingFrame,
    AuthFrame,
    CitizenMessageFrame,
    CitizenSyncFrame,
    LeaveQueueFrame,
    ExtendFrame,
    CitizenTypingFrame,
    CitizenReadFrame,
    RateFrame,
)
STAFF_FRAMES = _by_type(
    PingFrame,
    SubscribeFrame,
    UnsubscribeFrame,
    StaffMessageFrame,
    StaffSyncFrame,
    StaffTypingFrame,
    StaffReadFrame,
    NoteFrame,
    TakeFrame,
    AssignFrame,
    TransferFrame,
    StatusFrame,
    TagsFrame,
    WatchTeamFrame,
)


def _ref_of(data):
    ref = data.get("client_id") if isinstance(data, dict) else None
    return ref if isinstance(ref, str) and len(ref) <= 64 else None


def parse_frame(text, frame_types):
    """Parse one text frame into a frame model, or raise :class:`ProtocolError`."""
    if len(text.encode("utf-8")) > buergerchat_settings.MAX_FRAME_BYTES:
        raise ProtocolError(
            "frame_too_large",
            _("The frame is larger than %(limit)d bytes.") % {"limit": buergerchat_settings.MAX_FRAME_BYTES},
        )
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise ProtocolError("invalid_json", _("The frame is not valid JSON.")) from None
    if not isinstance(data, dict):
        raise ProtocolError("invalid_frame", _("A frame must be a JSON object."))
    ref = _ref_of(data)
    if not is_protocol_version(data.get("v")):
        raise ProtocolError(
            "unsupported_version", _("Unsupported protocol version; this server speaks version 1."), ref=ref
        )
    frame_type = data.get("type")
    model = frame_types.get(frame_type) if isinstance(frame_type, str) else None
    if model is None:
        raise ProtocolError("unknown_type", _("Unknown frame type."), ref=ref)
    try:
        frame = model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first.get("loc", ())) or None
        raise ProtocolError(
            "invalid_frame", _("The frame has a missing or invalid field: %(field)s.") % {"field": field}, ref=ref, field=field
        ) from None
    if hasattr(frame, "body"):
        frame = frame.model_copy(update={"body": clean_body(frame.body, ref=str(frame.client_id))})
    if hasattr(frame, "reason"):
        frame = frame.model_copy(update={"reason": clean_reason(frame.reason)})
    if hasattr(frame, "comment"):
        frame = frame.model_copy(update={"comment": clean_comment(frame.comment)})
    return frame


def _clean_text(text):
    return text.replace("\x00", "").replace("\r\n", "\n").strip()


def clean_reason(reason):
    """A transfer needs a reason for the colleagues who take over."""
    reason = _clean_text(reason)
    if not reason:
        raise ProtocolError("reason_required", _("Please give a reason for the transfer."), field="reason")
    if len(reason) > REASON_MAX_LENGTH:
        raise ProtocolError(
            "invalid_frame",
            _("The reason is too long: at most %(limit)d characters.") % {"limit": REASON_MAX_LENGTH},
            field="reason",
        )
    return reason


def clean_comment(comment):
    """The optional comment of a satisfaction rating."""
    comment = _clean_text(comment)
    if len(comment) > COMMENT_MAX_LENGTH:
        raise ProtocolError(
            "invalid_frame",
            _("The comment is too long: at most %(limit)d characters.") % {"limit": COMMENT_MAX_LENGTH},
            field="comment",
        )
    return comment


def clean_body(body, *, ref=None):
    """The one rule for message text: not empty, not over the limit, no NUL bytes."""
    body = _clean_text(body)
    if not body:
        raise ProtocolError("message_empty", _("Please enter a message."), ref=ref, field="body")
    limit = buergerchat_settings.MAX_MESSAGE_LENGTH
    if len(body) > limit:
        raise ProtocolError(
            "message_too_long",
            _("The message is too long: %(length)d characters, at most %(limit)d are allowed.")
            % {"length": len(body), "limit": limit},
            ref=ref,
            field="body",
        )
    return body
