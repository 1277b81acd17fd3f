"""Request body limits at the server (realtime/daphne_guard.py), with a raw socket client.

``buergerchat_daphne`` answers 413 while the body is still arriving: at once for a
``Content-Length`` over the limit, at the limit for a chunked body. The client sees
the answer and the end of the connection within about a second, although it
announced (or would send) far more. Bodies within the limits still work.
"""

import json
import socket
import time

import pytest

from tests.live_servers import DemoSite

pytestmark = pytest.mark.browser  # a real server process, like the browser tests

MiB = 1024 * 1024
LIMIT = 64 * 1024


@pytest.fixture(scope="module")
def server():
    site = DemoSite(extra_env={"BUERGERCHAT_JSON": json.dumps({"MAX_REQUEST_BYTES": LIMIT, "MAX_UPLOAD_BYTES": MiB})})
    worker = None
    try:
        site.prepare()
        worker = site.worker().start()
        yield worker
    finally:
        if worker:
            worker.stop()
        site.cleanup()


def read_answer(sock, deadline):
    """Read until the server closes (or resets) the connection; return (bytes, closed)."""
    data = b""
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            part = sock.recv(65536)
        except TimeoutError:
            return data, False
        except ConnectionResetError:
            return data, True
        if not part:
            return data, True
        data += part
    return data, False


def send_some(sock, chunks):
    """Send what the server takes; stop when it closed its side."""
    sent = 0
    try:
        for chunk in chunks:
            sock.sendall(chunk)
            sent += len(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass
    return sent


def status_and_body(data):
    head, _, body = data.partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0].decode(), head, body


def test_announced_length_over_the_limit_is_answered_at_once(server):
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(
            b"POST /buergerchat/api/v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nX-Buergerchat-Secret: whatever\r\n"
            b"Content-Length: %d\r\n\r\n" % (100 * MiB)
        )
        send_some(sock, [b"x" * 65536] * 16)  # 1 MiB of the announced 100 MiB
        data, closed = read_answer(sock, started + 3)
    elapsed = time.monotonic() - started
    status, head, body = status_and_body(data)
    assert status.startswith("HTTP/1.1 413"), data[:300]
    assert b"Connection: close" in head
    assert json.loads(body)["code"] == "request_too_large"
    assert closed, "the server kept the connection open"
    assert elapsed < 1.5, f"answered and closed after {elapsed:.2f}s"


def test_answer_comes_before_the_body_is_sent(server):
    """With the headers alone (no body byte sent yet), the 413 is already there."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(
            b"POST /buergerchat/start/1/ HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n" % (300 * MiB)
        )
        data, closed = read_answer(sock, time.monotonic() + 1.0)
    status, _, _ = status_and_body(data)
    assert status.startswith("HTTP/1.1 413"), data[:300]
    assert b"100 Continue" not in data
    assert closed


def test_chunked_body_over_the_limit_is_cut_off_early(server):
    chunk = b"x" * 16384
    encoded = b"%x\r\n%s\r\n" % (len(chunk), chunk)
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(
            b"POST /buergerchat/start/1/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        # 8 chunks pass the limit of 64 KiB; the client would go on up to 100 MiB.
        sent = send_some(sock, (encoded for _ in range(100 * MiB // len(chunk))))
        data, closed = read_answer(sock, time.monotonic() + 2)
    elapsed = time.monotonic() - started
    status, _, body = status_and_body(data)
    assert status.startswith("HTTP/1.1 413"), data[:300]
    assert json.loads(body)["code"] == "request_too_large"
    assert closed
    assert sent < 100 * MiB, "the server read the whole body"
    assert elapsed < 5, f"answered and closed after {elapsed:.2f}s"


def test_a_body_within_the_limit_reaches_the_application(server):
    body = b'{"v": 1, "type": "message", "body": "' + b"x" * 1000 + b'"}'
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(
            b"POST /buergerchat/api/v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"X-Buergerchat-Secret: whatever\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
        )
        data, closed = read_answer(sock, time.monotonic() + 10)
    status, _, _ = status_and_body(data)
    # Django answers (the secret is wrong): the body was read and passed on.
    assert not status.startswith("HTTP/1.1 413"), data[:300]
    assert status.split()[1] in {"401", "403"}, data[:300]


START = """
from buergerchat_wagtail.conversations import services
from buergerchat_wagtail.models import Department
conversation, secret = services.start_conversation(department=Department.objects.get(slug="bauverwaltung"), text="Upload-Test")
print(secret)
"""


def test_a_normal_upload_still_works(server):
    """A citizen's picture upload through the API (multipart, under MAX_UPLOAD_BYTES)."""
    import subprocess
    import sys
    import uuid

    from tests.files import png_bytes
    from tests.live_servers import ROOT

    result = subprocess.run([sys.executable, "manage.py", "shell", "-c", START], cwd=ROOT, env=server.env,
                            capture_output=True, text=True, check=True)
    secret = result.stdout.strip().splitlines()[-1]
    boundary = "buergerchat-boundary"
    payload = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"client_id\"\r\n\r\n{uuid.uuid4()}\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"Foto.png\"\r\n"
        "Content-Type: image/png\r\n\r\n"
    ).encode() + png_bytes((400, 400)) + f"\r\n--{boundary}--\r\n".encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(
            b"POST /buergerchat/api/v1/attachments HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: multipart/form-data; boundary=%s\r\nX-Buergerchat-Secret: %s\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n%s"
            % (boundary.encode(), secret.encode(), len(payload), payload)
        )
        data, closed = read_answer(sock, time.monotonic() + 30)
    status, _, body = status_and_body(data)
    assert status.split()[1] == "201", data[:500]
    assert json.loads(body)["message"]["attachment"]["name"] == "Foto.png"
