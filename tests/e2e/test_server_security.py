"""Against a real daphne server (the demo site), with raw clients:

- cross-site WebSocket hijacking: a socket opened from a foreign Origin is refused,
  also when the browser would attach a valid staff session cookie;
- the server's whole output (daphne at -v 2, every Django logger at DEBUG) during a
  full conversation contains no message text, names, e-mail addresses or secrets.
"""

import asyncio
import json
import re
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests
import websockets
from websockets.exceptions import InvalidStatus


def run_async(coroutine_function):
    """Run a coroutine in its own thread and loop (Playwright's sync API may already
    run an event loop in this thread)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(coroutine_function())).result()


CITIZEN_WS = "/ws/buergerchat/citizen/"
STAFF_WS = "/ws/buergerchat/staff/"


def ws_url(server, path):
    return server.url.replace("http://", "ws://") + path


def start_chat(server, text="Frage über den Server", name="", email=""):
    response = requests.post(
        f"{server.url}/buergerchat/start/1/",
        data={"text": text, "name": name, "email": email, "privacy": "on"},
        timeout=10,
    )
    assert response.status_code == 201, response.text[:300]
    return response.json()["secret"]


def staff_session(server, username="bauamt", password="bauamt"):
    session = requests.Session()
    login = session.get(f"{server.url}/admin/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
    response = session.post(
        f"{server.url}/admin/login/",
        data={"csrfmiddlewaretoken": token, "username": username, "password": password, "next": "/admin/"},
        headers={"Referer": f"{server.url}/admin/login/"},
        timeout=10,
    )
    assert response.url.endswith("/admin/"), response.url
    return session


async def refused(url, **kwargs):
    try:
        async with websockets.connect(url, open_timeout=5, **kwargs):
            return None
    except InvalidStatus as exc:
        return exc.response.status_code


def test_foreign_origin_is_refused(demo_server):
    own = demo_server.url
    session = staff_session(demo_server)
    cookie = "sessionid=" + session.cookies["sessionid"]

    async def scenario():
        # A foreign page, and pages without Origin, cannot open either socket.
        for path in (CITIZEN_WS, STAFF_WS):
            assert await refused(ws_url(demo_server, path), origin="http://evil.example") == 403
            assert await refused(ws_url(demo_server, path), origin="http://127.0.0.1.evil.example") == 403
        # The browser of a logged-in case worker visiting evil.example sends the cookie along.
        assert (
            await refused(ws_url(demo_server, STAFF_WS), origin="http://evil.example", additional_headers={"Cookie": cookie})
            == 403
        )
        # Control: the same requests from the site's own origin work.
        async with websockets.connect(
            ws_url(demo_server, STAFF_WS), origin=own, additional_headers={"Cookie": cookie}, open_timeout=5
        ) as ws:
            assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "hello"
        async with websockets.connect(ws_url(demo_server, CITIZEN_WS), origin=own, open_timeout=5) as ws:
            await ws.send(json.dumps({"v": 1, "type": "ping"}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"v": 1, "type": "pong"}

    run_async(scenario)


NAME = "Walburga Serverlog"
EMAIL = "walburga.serverlog@example.org"
CONCERN = "Server-Anliegen Kennwort Schwalbenschwanz"
CITIZEN_TEXT = "Nachricht Kennwort Zitronenfalter"
STAFF_TEXT = "Antwort Kennwort Kohlweissling"


def test_server_output_of_a_full_conversation_has_no_personal_data(demo_server):
    # The shared server logs at full verbosity (see conftest.SHARED_SERVER_ENV).
    server = demo_server
    secret = start_chat(server, CONCERN, name=NAME, email=EMAIL)
    session = staff_session(server)
    cookie = "sessionid=" + session.cookies["sessionid"]

    async def talk():
        async with websockets.connect(ws_url(server, CITIZEN_WS), origin=server.url, open_timeout=5) as citizen:
            await citizen.send(json.dumps({"v": 1, "type": "auth", "secret": secret}))
            ready = json.loads(await asyncio.wait_for(citizen.recv(), 5))
            assert ready["type"] == "ready"
            await citizen.send(json.dumps({"v": 1, "type": "message", "client_id": str(uuid.uuid4()), "body": CITIZEN_TEXT}))
            await citizen.send(json.dumps({"v": 1, "type": "message", "client_id": "bad", "body": CITIZEN_TEXT}))
            async with websockets.connect(
                ws_url(server, STAFF_WS), origin=server.url, additional_headers={"Cookie": cookie}, open_timeout=5
            ) as staff:
                assert json.loads(await asyncio.wait_for(staff.recv(), 5))["type"] == "hello"
                conversation_id = int(
                    re.search(r"/admin/buergerchat/conversations/(\d+)/", session.get(f"{server.url}/admin/buergerchat/").text).group(1)
                )
                await staff.send(
                    json.dumps(
                        {"v": 1, "type": "message", "conversation": conversation_id, "client_id": str(uuid.uuid4()), "body": STAFF_TEXT}
                    )
                )
                while True:
                    frame = json.loads(await asyncio.wait_for(staff.recv(), 5))
                    if frame["type"] == "ack":
                        break
            while True:  # the staff answer reaches the citizen
                frame = json.loads(await asyncio.wait_for(citizen.recv(), 5))
                if frame["type"] == "message" and frame["message"]["body"] == STAFF_TEXT:
                    break
        return conversation_id

    conversation_id = run_async(talk)
    base = f"{server.url}/admin/buergerchat/conversations/{conversation_id}/"
    assert session.get(base, timeout=10).status_code == 200
    assert session.get(base + "export/", timeout=10).status_code == 200
    headers = {"X-Buergerchat-Secret": secret}
    assert requests.get(f"{server.url}/buergerchat/api/v1/export", headers=headers, timeout=10).status_code == 200
    assert requests.get(f"{server.url}/buergerchat/api/v1/messages", headers={"X-Buergerchat-Secret": "x"}, timeout=10).status_code == 401
    assert requests.post(f"{server.url}/buergerchat/api/v1/erase", headers=headers, timeout=10).status_code == 200

    output = server.log_text()
    assert "buergerchat_wagtail" in output or "conversation" in output  # the log is real
    assert "GET /buergerchat/api/v1/export" in output  # daphne's access log was on
    assert "SELECT" in output  # so was the SQL log
    for word in (NAME, "Walburga", EMAIL, "walburga.serverlog", CONCERN, "Schwalbenschwanz", CITIZEN_TEXT,
                 "Zitronenfalter", STAFF_TEXT, "Kohlweissling", secret):
        assert word not in output, f"{word!r} appears in the server output"
