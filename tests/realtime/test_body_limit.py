"""Request body limits (realtime.body_limit.BodySizeLimit): decided before the
application reads a byte. In-process with a scripted client, and with a raw socket
against a real daphne serving the demo site's asgi.py."""

import asyncio
import json
import socket
import time

import pytest
from django.test import override_settings

from buergerchat_wagtail.realtime.body_limit import BodySizeLimit, body_limit
from tests.live_servers import DemoSite

MiB = 1024 * 1024


def test_limits_per_url():
    with override_settings(BUERGERCHAT={"MAX_UPLOAD_BYTES": 5 * MiB, "MAX_REQUEST_BYTES": 4096}):
        assert body_limit("/buergerchat/api/v1/attachments") == 5 * MiB + 64 * 1024
        assert body_limit("/admin/buergerchat/conversations/1/attachments/") == 5 * MiB + 64 * 1024
        assert body_limit("/buergerchat/api/v1/messages") == 4096
        assert body_limit("/buergerchat/start/1/") == 4096
        assert body_limit("/admin/buergerchat/conversations/1/") == 4096
        assert body_limit("/admin/images/multiple/add/") is None  # the site's own URLs
        assert body_limit("/no/such/page/") is None


class Recorder:
    """An ASGI application that reads the whole body, then answers 200."""

    def __init__(self):
        self.received = 0
        self.called = False

    async def __call__(self, scope, receive, send):
        self.called = True
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            self.received += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def run(app, path, chunks, headers=()):
    """Feed ``chunks`` to the middleware; return (sent messages, chunks it pulled)."""
    sent, pulled = [], []
    pending = list(chunks)

    async def receive():
        body = pending.pop(0)
        pulled.append(len(body))
        return {"type": "http.request", "body": body, "more_body": bool(pending)}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": path, "root_path": "", "headers": list(headers)}
    asyncio.run(BodySizeLimit(app)(scope, receive, send))
    return sent, pulled


@override_settings(BUERGERCHAT={"MAX_REQUEST_BYTES": 4096})
def test_announced_length_over_the_limit_is_refused_before_reading():
    app = Recorder()
    sent, pulled = run(app, "/buergerchat/api/v1/messages", [b"x" * 1024] * 100, [(b"content-length", b"104857600")])
    assert sent[0]["status"] == 413 and pulled == [] and not app.called
    frame = json.loads(sent[1]["body"])
    assert frame["code"] == "request_too_large" and frame["detail"].startswith("Die Anfrage ist zu groß")


@override_settings(BUERGERCHAT={"MAX_REQUEST_BYTES": 4096})
def test_streamed_body_is_cut_off_at_the_limit():
    app = Recorder()
    sent, pulled = run(app, "/buergerchat/api/v1/messages", [b"x" * 1024] * 100)
    assert [m.get("status") for m in sent if m["type"] == "http.response.start"] == [413]
    assert sum(pulled) == 5 * 1024  # the chunk that went over, and nothing after it
    assert app.received == 4 * 1024  # the application never saw the chunk over the limit


@override_settings(BUERGERCHAT={"MAX_REQUEST_BYTES": 4096})
def test_bodies_within_the_limit_and_other_urls_pass():
    app = Recorder()
    sent, _ = run(app, "/buergerchat/api/v1/messages", [b"x" * 1024] * 4, [(b"content-length", b"4096")])
    assert sent[0]["status"] == 200 and app.received == 4096
    app = Recorder()
    sent, _ = run(app, "/admin/images/multiple/add/", [b"x" * 1024] * 100)
    assert sent[0]["status"] == 200 and app.received == 100 * 1024


# --------------------------------------------------------------------------- real daphne


@pytest.fixture(scope="module")
def daphne_site():
    site = DemoSite(extra_env={"BUERGERCHAT_JSON": json.dumps({"MAX_REQUEST_BYTES": 64 * 1024})})
    worker = None
    try:
        site.prepare()
        worker = site.worker().start()
        yield worker
    finally:
        if worker:
            worker.stop()
        site.cleanup()


def raw_request(port, head, body_chunks, *, pause=0.0):
    """Send a request head and body over a raw socket; return the status line and body."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head)
        try:
            for chunk in body_chunks:
                sock.sendall(chunk)
                time.sleep(pause)
        except (BrokenPipeError, ConnectionResetError):
            pass
        data = b""
        try:
            while True:
                part = sock.recv(65536)
                if not part:
                    break
                data += part
        except (ConnectionResetError, TimeoutError):
            pass
    head, _, body = data.partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0].decode(), body


def test_daphne_answers_413_for_an_oversized_body(daphne_site):
    body = b'{"v": 1, "type": "message", "body": "' + b"x" * (2 * MiB) + b'"}'
    status, answer = raw_request(
        daphne_site.port,
        b"POST /buergerchat/api/v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"X-Buergerchat-Secret: whatever\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body),
        [body],
    )
    assert status.startswith("HTTP/1.1 413"), status
    assert json.loads(answer)["code"] == "request_too_large"


def test_daphne_cuts_off_a_chunked_body(daphne_site):
    chunk = b"x" * 65536
    chunks = [b"%x\r\n%s\r\n" % (len(chunk), chunk)] * 32 + [b"0\r\n\r\n"]
    status, answer = raw_request(
        daphne_site.port,
        b"POST /buergerchat/start/1/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        chunks,
    )
    assert status.startswith("HTTP/1.1 413"), status
    assert json.loads(answer)["code"] == "request_too_large"
