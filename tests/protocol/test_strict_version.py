"""The protocol version is the JSON integer 1: ``true`` and ``1.0`` are not version 1,
neither on the socket nor over the HTTP API (which turns integral floats of some
integer fields into ints, but never ``v``)."""

import json
import uuid

import pytest

from buergerchat_wagtail.protocol.frames import CITIZEN_FRAMES, ProtocolError, parse_frame
from tests.conftest import CITIZEN_PATH, receive

API = "/buergerchat/api/v1"


@pytest.mark.parametrize("version", [True, 1.0, "1", 1.5, None])
def test_parse_frame_refuses_anything_but_the_integer_1(version):
    with pytest.raises(ProtocolError) as caught:
        parse_frame(json.dumps({"v": version, "type": "ping"}), CITIZEN_FRAMES)
    assert caught.value.code == "unsupported_version"


def test_parse_frame_accepts_the_integer_1():
    assert parse_frame('{"v": 1, "type": "ping"}', CITIZEN_FRAMES).v == 1


@pytest.mark.parametrize("version", [True, 1.0])
def test_frame_models_refuse_a_lookalike_version(version):
    # The models are strict too, for callers that validate without parse_frame.
    with pytest.raises(ValueError):
        CITIZEN_FRAMES["ping"].model_validate({"v": version, "type": "ping"})


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("version", ["true", "1.0"])
async def test_socket_refuses_a_lookalike_version(open_socket, version):
    citizen, connected, _ = await open_socket(CITIZEN_PATH)
    assert connected
    await citizen.send_to(text_data='{"v": %s, "type": "ping"}' % version)
    frame = await receive(citizen)
    assert frame["type"] == "error" and frame["code"] == "unsupported_version"
    await citizen.disconnect()


@pytest.mark.django_db
@pytest.mark.parametrize("version", ["true", "1.0"])
def test_http_api_refuses_a_lookalike_version(client, dept_a, start_conversation, version):
    _conversation, secret = start_conversation(dept_a)
    body = '{"v": %s, "type": "message", "client_id": "%s", "body": "Hallo"}' % (version, uuid.uuid4())
    response = client.post(
        API + "/messages", data=body, content_type="application/json", HTTP_X_BUERGERCHAT_SECRET=secret
    )
    assert response.status_code == 400
    assert response.json()["code"] == "unsupported_version"
    # The control: the same body with the integer 1 is stored.
    body = body.replace('"v": %s' % version, '"v": 1')
    response = client.post(
        API + "/messages", data=body, content_type="application/json", HTTP_X_BUERGERCHAT_SECRET=secret
    )
    assert response.status_code in (200, 201), response.content
