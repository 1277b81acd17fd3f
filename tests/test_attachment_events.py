"""Attachment messages and scan results reach the right sockets."""

import uuid

import pytest
from asgiref.sync import sync_to_async

from buergerchat_wagtail.files import attachments
from buergerchat_wagtail.models import SenderType
from tests.conftest import citizen_socket, receive_type, staff_socket
from tests.files import pdf_bytes, upload

pytestmark = pytest.mark.django_db(transaction=True)


async def test_attachment_message_and_release_are_pushed(open_socket, dept_a, worker_a, worker_b, start_conversation):
    conversation, secret = await sync_to_async(start_conversation)(dept_a)
    citizen, _ready = await citizen_socket(open_socket, secret)
    staff, _hello = await staff_socket(open_socket, worker_a)
    await staff.send_json_to({"v": 1, "type": "subscribe", "conversation": conversation.pk})
    await receive_type(staff, "ready")
    stranger, _hello = await staff_socket(open_socket, worker_b)

    def store():
        return attachments.store_attachment(
            conversation=conversation,
            sender=SenderType.CITIZEN,
            uploaded=upload("Antrag.pdf", pdf_bytes()),
            client_id=uuid.uuid4(),
        )[0]

    message = await sync_to_async(store)()
    frame = await receive_type(citizen, "message", skip=())
    assert frame["message"]["id"] == message.pk
    assert frame["message"]["attachment"]["status"] == "pending"
    released = await receive_type(citizen, "attachment", skip=())
    assert released["message"] == message.pk
    assert released["attachment"]["status"] == "clean"
    assert released["attachment"]["url"].startswith("/buergerchat/api/v1/attachments/")
    staff_frame = await receive_type(staff, "attachment", skip=("message", "conversation"))
    assert staff_frame["conversation"] == conversation.pk
    assert staff_frame["attachment"]["url"].startswith("/admin/buergerchat/attachments/")
    # worker_b (other department) hears nothing
    await stranger.send_json_to({"v": 1, "type": "ping"})
    assert (await receive_type(stranger, "pong", skip=()))["type"] == "pong"
