"""Frame parsing and the one rule for message text."""

import json
import uuid

import pytest

from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.editor.forms import ReplyForm, StartConversationForm
from buergerchat_wagtail.protocol.frames import (
    CITIZEN_FRAMES,
    PROTOCOL_VERSION,
    STAFF_FRAMES,
    AuthFrame,
    CitizenMessageFrame,
    PingFrame,
    ProtocolError,
    StaffMessageFrame,
    SubscribeFrame,
    clean_body,
    parse_frame,
)


def parse(data, frame_types=CITIZEN_FRAMES):
    return parse_frame(data if isinstance(data, str) else json.dumps(data), frame_types)


def refused(data, frame_types=CITIZEN_FRAMES):
    with pytest.raises(ProtocolError) as info:
        parse(data, frame_types)
    return info.value


# --------------------------------------------------------------------------- parse_frame


def test_only_frames_of_this_protocol_version_are_accepted():
    assert isinstance(parse({"v": PROTOCOL_VERSION, "type": "ping"}), PingFrame)
    for other in (PROTOCOL_VERSION - 1, PROTOCOL_VERSION + 1):
        error = refused({"v": other, "type": "ping"})
        assert (error.code, error.field) == ("unsupported_version", None)


def test_parse_ping():
    frame = parse({"v": 1, "type": "ping"})
    assert isinstance(frame, PingFrame)


def test_parse_auth_defaults_after_to_zero():
    frame = parse({"v": 1, "type": "auth", "secret": "abc"})
    assert isinstance(frame, AuthFrame)
    assert frame.secret == "abc"
    assert frame.after == 0


def test_parse_citizen_message_cleans_body():
    client_id = uuid.uuid4()
    frame = parse({"v": 1, "type": "message", "client_id": str(client_id), "body": "  Hallo\r\nWelt\x00  "})
    assert isinstance(frame, CitizenMessageFrame)
    assert frame.client_id == client_id
    assert frame.body == "Hallo\nWelt"


def test_parse_staff_frames():
    frame = parse({"v": 1, "type": "subscribe", "conversation": 7}, STAFF_FRAMES)
    assert isinstance(frame, SubscribeFrame) and frame.conversation == 7 and frame.after == 0
    message = parse(
        {"v": 1, "type": "message", "conversation": 7, "client_id": str(uuid.uuid4()), "body": "Antwort"}, STAFF_FRAMES
    )
    assert isinstance(message, StaffMessageFrame) and message.body == "Antwort"


def test_frame_sets_are_separate():
    assert set(CITIZEN_FRAMES) == {"ping", "auth", "message", "sync", "leave_queue", "typing", "read", "rate", "extend"}
    assert set(STAFF_FRAMES) == {
        "ping", "subscribe", "unsubscribe", "message", "sync",
        "typing", "read", "note", "take", "assign", "transfer", "status", "tags", "watch_team",
    }  # fmt: skip
    assert refused({"v": 1, "type": "auth", "secret": "x"}, STAFF_FRAMES).code == "unknown_type"
    assert refused({"v": 1, "type": "subscribe", "conversation": 1}).code == "unknown_type"
    # Staff-only actions do not exist on the citizen socket.
    for frame_type in ("note", "take", "assign", "transfer", "status"):
        assert refused({"v": 1, "type": frame_type, "conversation": 1}).code == "unknown_type"


@pytest.mark.parametrize(
    ("data", "code", "field"),
    [
        pytest.param("", "invalid_json", None, id="empty-text"),
        pytest.param("{", "invalid_json", None, id="broken"),
        pytest.param("NaN-ish", "invalid_json", None, id="not-json"),
        pytest.param("[" * 5000 + "]" * 5000, "invalid_json", None, id="deeply-nested"),
        pytest.param("[]", "invalid_frame", None, id="array"),
        pytest.param("null", "invalid_frame", None, id="null"),
        pytest.param("42", "invalid_frame", None, id="number"),
        pytest.param({"type": "ping"}, "unsupported_version", None, id="no-version"),
        pytest.param({"v": 2, "type": "ping"}, "unsupported_version", None, id="v2"),
        pytest.param({"v": "1", "type": "ping"}, "unsupported_version", None, id="v-string"),
        pytest.param({"v": 1}, "unknown_type", None, id="no-type"),
        pytest.param({"v": 1, "type": 5}, "unknown_type", None, id="type-number"),
        pytest.param({"v": 1, "type": "PING"}, "unknown_type", None, id="type-case"),
        pytest.param({"v": 1, "type": "ping", "x": 1}, "invalid_frame", "x", id="extra-field"),
        pytest.param({"v": 1, "type": "auth"}, "invalid_frame", "secret", id="auth-no-secret"),
        pytest.param({"v": 1, "type": "auth", "secret": ""}, "invalid_frame", "secret", id="auth-empty-secret"),
        pytest.param({"v": 1, "type": "auth", "secret": "s" * 201}, "invalid_frame", "secret", id="auth-long-secret"),
        pytest.param({"v": 1, "type": "auth", "secret": 123}, "invalid_frame", "secret", id="auth-secret-number"),
        pytest.param({"v": 1, "type": "sync"}, "invalid_frame", "after", id="sync-no-after"),
        pytest.param({"v": 1, "type": "sync", "after": -1}, "invalid_frame", "after", id="sync-negative"),
        pytest.param({"v": 1, "type": "sync", "after": "3"}, "invalid_frame", "after", id="sync-string"),
        pytest.param({"v": 1, "type": "sync", "after": 1.5}, "invalid_frame", "after", id="sync-float"),
        pytest.param({"v": 1, "type": "sync", "after": 2**63}, "invalid_frame", "after", id="sync-huge"),
        pytest.param({"v": 1, "type": "message", "body": "x"}, "invalid_frame", "client_id", id="message-no-client-id"),
        pytest.param({"v": 1, "type": "message", "client_id": "abc", "body": "x"}, "invalid_frame", "client_id", id="bad-uuid"),
        pytest.param({"v": 1, "type": "message", "client_id": str(uuid.uuid4())}, "invalid_frame", "body", id="no-body"),
        pytest.param({"v": 1, "type": "message", "client_id": str(uuid.uuid4()), "body": ["x"]}, "invalid_frame", "body", id="body-list"),
        pytest.param({"v": 1, "type": "message", "client_id": str(uuid.uuid4()), "body": " "}, "message_empty", "body", id="body-blank"),
        pytest.param({"v": 1, "type": "message", "client_id": str(uuid.uuid4()), "body": "x" * 4001}, "message_too_long", "body", id="body-4001"),
    ],
)
def test_parse_refusals(data, code, field):
    error = refused(data)
    assert error.code == code
    assert error.detail
    assert error.field == field
    frame = error.as_frame()
    assert frame["v"] == 1 and frame["type"] == "error" and frame["code"] == code
    assert ("field" in frame) == (field is not None)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"v": 1, "type": "subscribe", "conversation": 0}, "conversation"),
        ({"v": 1, "type": "subscribe", "conversation": "1"}, "conversation"),
        ({"v": 1, "type": "subscribe", "conversation": 2**63}, "conversation"),
        ({"v": 1, "type": "message", "conversation": 1, "client_id": str(uuid.uuid4())}, "body"),
        ({"v": 1, "type": "unsubscribe"}, "conversation"),
    ],
)
def test_parse_staff_refusals(data, field):
    error = refused(data, STAFF_FRAMES)
    assert error.code == "invalid_frame"
    assert error.field == field


def test_error_carries_client_id_as_ref():
    client_id = str(uuid.uuid4())
    error = refused({"v": 1, "type": "message", "client_id": client_id, "body": ""})
    assert error.ref == client_id
    assert error.as_frame()["ref"] == client_id
    # Also for frames refused before the model is validated.
    assert refused({"v": 9, "type": "message", "client_id": client_id}).ref == client_id
    # A long or non-string client id is not echoed back.
    assert refused({"v": 9, "type": "message", "client_id": "x" * 65}).ref is None
    assert refused({"v": 9, "type": "message", "client_id": 12}).ref is None
    assert "ref" not in refused("[]").as_frame()


def test_frame_size_counts_bytes():
    limit = buergerchat_settings.MAX_FRAME_BYTES
    base = json.dumps({"v": 1, "type": "ping"})
    exact = base[:-1] + " " * (limit - len(base)) + "}"
    assert len(exact.encode()) == limit
    assert isinstance(parse(exact), PingFrame)
    assert refused(exact[:-1] + " }").code == "frame_too_large"
    # Two bytes per "ä": under the limit in characters, over it in bytes.
    umlauts = '{"v": 1, "type": "ping", "x": "' + "ä" * (limit // 2) + '"}'
    assert len(umlauts) < limit
    assert refused(umlauts).code == "frame_too_large"


# --------------------------------------------------------------------------- clean_body


def test_clean_body_strips_nul_bytes():
    assert clean_body("Hal\x00lo\x00") == "Hallo"


def test_clean_body_normalises_crlf():
    assert clean_body("eins\r\nzwei\r\ndrei") == "eins\nzwei\ndrei"
    assert "\r\n" not in clean_body("a\r\n\r\nb")


def test_clean_body_strips_outer_whitespace_only():
    assert clean_body("  \n innen  bleibt \n ") == "innen  bleibt"


@pytest.mark.parametrize("body", ["", " ", "\n\r\n\t", "\x00", " \x00 \r\n "])
def test_clean_body_refuses_empty(body):
    with pytest.raises(ProtocolError) as info:
        clean_body(body, ref="r1")
    assert info.value.code == "message_empty"
    assert info.value.field == "body"
    assert info.value.ref == "r1"


def test_clean_body_exactly_max_length_is_ok():
    assert clean_body("a" * 4000) == "a" * 4000
    assert len(clean_body("ä" * 4000)) == 4000  # characters, not bytes


def test_clean_body_over_max_length_is_refused():
    with pytest.raises(ProtocolError) as info:
        clean_body("a" * 4001)
    assert info.value.code == "message_too_long"
    assert "4001" in info.value.detail and "4000" in info.value.detail


def test_clean_body_length_is_measured_after_cleaning():
    # 4001 characters as sent, 4000 after CRLF -> LF.
    assert len(clean_body("a" * 3998 + "\r\n" + "b")) == 4000
    assert len(clean_body("  " + "a" * 4000 + "  ")) == 4000
    assert len(clean_body("a" * 4000 + "\x00\x00")) == 4000


def test_forms_use_the_same_rule():
    form = ReplyForm(data={"body": "x" * 4001, "client_id": str(uuid.uuid4())})
    assert not form.is_valid()
    assert form.errors.as_data()["body"][0].code == "message_too_long"
    form = ReplyForm(data={"body": " Gut\r\nso ", "client_id": str(uuid.uuid4())})
    assert form.is_valid()
    assert form.cleaned_data["body"] == "Gut\nso"
    form = ReplyForm(data={"body": " \r\n ", "client_id": str(uuid.uuid4())})
    assert not form.is_valid()
    assert form.errors.as_data()["body"][0].code == "message_empty"
    start = StartConversationForm(data={"text": "x" * 4001, "privacy": "on"})
    assert not start.is_valid()
    assert start.errors.as_data()["text"][0].code == "message_too_long"
