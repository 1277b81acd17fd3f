"""One staff socket per admin page: presence.js and the conversation's controllers share it."""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_workplace_flow import open_conversation, staff_page, start_chat

pytestmark = pytest.mark.browser

READY = "[data-controller=bc-conversation][data-bc-ready]"


def test_a_conversation_page_opens_one_staff_socket(new_context):
    citizen = new_context().new_page()
    start_chat(citizen, "Eine Verbindung genügt")
    staff = staff_page(new_context, "bauamt")
    open_conversation(staff, "Eine Verbindung genügt")
    expect(staff.locator(READY)).to_have_count(1)

    sockets, errors = [], []
    staff.on("websocket", lambda ws: sockets.append(ws.url))
    staff.on("pageerror", lambda exc: errors.append(str(exc)))
    staff.reload()
    expect(staff.locator(READY)).to_have_count(1)
    staff.wait_for_timeout(1500)
    assert [url for url in sockets if "/staff/" in url] == [sockets[0]], sockets
    assert len(sockets) == 1 and not errors, (sockets, errors)
