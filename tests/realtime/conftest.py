"""Helpers and conversations shared by the consumer tests."""

import json
import uuid

import pytest
from asgiref.sync import sync_to_async

from buergerchat_wagtail.models import Message


def message_frame(body, client_id=None):
    return {"v": 1, "type": "message", "client_id": str(client_id or uuid.uuid4()), "body": body}


async def drain(communicator, timeout=0.5):
    """All frames that arrive until the socket stays quiet for ``timeout`` seconds."""
    frames = []
    while not await communicator.receive_nothing(timeout=timeout):
        frames.append(json.loads(await communicator.receive_from()))
    return frames


async def assert_closed_with(communicator, connected, code, expected):
    """The socket is refused with ``expected``: either in the handshake or, after an
    accept, by a close frame before anything else is sent."""
    if connected:
        output = await communicator.receive_output(timeout=3)
        assert output["type"] == "websocket.close", f"expected a close, got {output}"
        code = output.get("code")
    assert code == expected


async def count_messages(**filters):
    return await sync_to_async(lambda: Message.objects.filter(**filters).count())()


@pytest.fixture
async def conversation_a(dept_a, start_conversation):
    return await sync_to_async(start_conversation)(dept_a, text="Frage zum Bauantrag\nmit Details")


@pytest.fixture
async def conversation_b(dept_b, start_conversation):
    return await sync_to_async(start_conversation)(dept_b, text="Frage zum Personalausweis")
