"""The BUERGERCHAT setting: defaults, overrides (and their undoing), refused keys and values."""

import json
import uuid

import pytest
from django.core.exceptions import ImproperlyConfigured

from buergerchat_wagtail.conf import DEFAULTS, buergerchat_settings
from buergerchat_wagtail.editor.forms import ReplyForm
from buergerchat_wagtail.protocol.frames import CITIZEN_FRAMES, PingFrame, ProtocolError, clean_body, parse_frame


def parse(data):
    return parse_frame(json.dumps(data), CITIZEN_FRAMES)


def refused(data):
    with pytest.raises(ProtocolError) as info:
        parse(data)
    return info.value


def test_defaults_are_used_without_overrides(settings):
    settings.BUERGERCHAT = {}
    assert buergerchat_settings.MAX_MESSAGE_LENGTH == DEFAULTS["MAX_MESSAGE_LENGTH"] == 4000
    assert buergerchat_settings.MAX_FRAME_BYTES == 32 * 1024


def test_setting_override_changes_message_limit(settings):
    settings.BUERGERCHAT = {"MAX_MESSAGE_LENGTH": 10}
    assert buergerchat_settings.MAX_MESSAGE_LENGTH == 10
    assert clean_body("x" * 10) == "x" * 10
    with pytest.raises(ProtocolError) as info:
        clean_body("x" * 11)
    assert info.value.code == "message_too_long"
    assert refused({"v": 1, "type": "message", "client_id": str(uuid.uuid4()), "body": "y" * 11}).code == "message_too_long"
    assert not ReplyForm(data={"body": "z" * 11, "client_id": str(uuid.uuid4())}).is_valid()


def test_setting_override_is_undone():
    from django.test import override_settings

    assert buergerchat_settings.MAX_MESSAGE_LENGTH == 4000
    with override_settings(BUERGERCHAT={"MAX_MESSAGE_LENGTH": 5000}):
        assert buergerchat_settings.MAX_MESSAGE_LENGTH == 5000
        assert clean_body("x" * 4500) == "x" * 4500
        with override_settings(BUERGERCHAT={"MAX_MESSAGE_LENGTH": 10}):
            assert buergerchat_settings.MAX_MESSAGE_LENGTH == 10
        assert buergerchat_settings.MAX_MESSAGE_LENGTH == 5000
    assert buergerchat_settings.MAX_MESSAGE_LENGTH == 4000
    with pytest.raises(ProtocolError):
        clean_body("x" * 4500)


def test_setting_override_changes_frame_limit(settings):
    settings.BUERGERCHAT = {"MAX_FRAME_BYTES": 64}
    assert refused({"v": 1, "type": "auth", "secret": "s" * 60}).code == "frame_too_large"
    assert isinstance(parse({"v": 1, "type": "ping"}), PingFrame)


def test_unknown_setting_key_is_refused(settings):
    settings.BUERGERCHAT = {"MAX_MESSAGE_LENGHT": 10}
    with pytest.raises(ImproperlyConfigured) as info:
        buergerchat_settings.MAX_MESSAGE_LENGTH  # noqa: B018
    assert "MAX_MESSAGE_LENGHT" in str(info.value)


@pytest.mark.parametrize("value", [0, -5, "4000", None, 2.5])
def test_invalid_setting_value_is_refused(settings, value):
    settings.BUERGERCHAT = {"MAX_MESSAGE_LENGTH": value}
    with pytest.raises(ImproperlyConfigured):
        buergerchat_settings.MAX_MESSAGE_LENGTH  # noqa: B018


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError):
        buergerchat_settings.NO_SUCH_SETTING  # noqa: B018
