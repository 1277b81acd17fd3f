"""Debian's nginx in front of daphne, configured as docs/deployment.md says: the
``map`` and the ``location`` blocks are read from that page, so the documented
configuration is the tested one.

The clients are different loopback addresses (127.0.0.2, 127.0.0.3); nginx runs on
127.0.0.1, which the site lists in ``TRUSTED_PROXIES``. Without nginx the test skips
with the reason; .ci/run installs it and sets BUERGERCHAT_REQUIRE_ALL=1, which turns
the skip into a failure (tests/no_skip_guard.py).
"""

import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
from pathlib import Path

import pytest

from tests.live_servers import ROOT, DemoSite, free_port, wait_for_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
DEPLOYMENT_DOC = ROOT / "docs" / "deployment.md"
START_LIMIT = 2


def documented_config():
    return re.search(r"```nginx\n(.*?)```", DEPLOYMENT_DOC.read_text(), re.S).group(1)


def documented_blocks():
    """The ``map`` and ``location`` blocks of the nginx example in deployment.md
    (without /static/ and /media/, which name the production directories)."""
    config = documented_config()
    blocks = []
    for match in re.finditer(r"^ *(map \$http_upgrade[^{]*|location [^{]+)\{", config, re.M):
        depth, end = 0, match.start()
        for end in range(match.end() - 1, len(config)):
            depth += {"{": 1, "}": -1}.get(config[end], 0)
            if depth == 0:
                break
        block = config[match.start() : end + 1].strip()
        if not re.match(r"location /(static|media)/", block):
            blocks.append(block)
    return blocks


def documented_server_directives():
    """Directives of the documented server block that the tests need (body sizes)."""
    return re.findall(r"^ *(client_max_body_size [^\n]+)", documented_config(), re.M)


class Nginx:
    def __init__(self, upstream_port):
        self.dir = Path(tempfile.mkdtemp(prefix="buergerchat-nginx-"))
        self.port = free_port()
        blocks = documented_blocks()
        maps = "\n".join(block for block in blocks if block.startswith("map "))
        locations = "\n".join(block for block in blocks if block.startswith("location "))
        server = "\n".join(documented_server_directives())
        temp_paths = "\n".join(f"{name}_temp_path {self.dir / name};" for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        (self.dir / "nginx.conf").write_text(
            ("user root;\n" if os.geteuid() == 0 else "")
            + f"daemon off;\nworker_processes 1;\npid {self.dir / 'nginx.pid'};\n"
            f"error_log {self.dir / 'error.log'} warn;\n"
            "events { worker_connections 64; }\n"
            "http {\n"
            f"access_log {self.dir / 'access.log'};\n{temp_paths}\n"
            f"upstream buergerchat {{ server 127.0.0.1:{upstream_port}; keepalive 4; }}\n"
            f"{maps}\n"
            f"server {{\nlisten 127.0.0.1:{self.port};\nserver_name localhost;\n{server}\n{locations}\n}}\n"
            "}\n"
        )
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [NGINX, "-p", str(self.dir), "-c", str(self.dir / "nginx.conf"), "-e", str(self.dir / "error.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_port(self.port, self.process, timeout=20)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}\n{self.error_log()}") from None
        return self

    def error_log(self):
        path = self.dir / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def proxied_site():
    if not os.path.exists(NGINX):
        pytest.skip(f"Debian's nginx is not installed (no {NGINX}; apt-get install nginx)")
    site = DemoSite(
        extra_env={
            "BUERGERCHAT_JSON": json.dumps({"TRUSTED_PROXIES": ["127.0.0.1", "::1"], "CONVERSATIONS_PER_HOUR": START_LIMIT})
        }
    )
    worker = nginx = None
    try:
        site.prepare()
        worker = site.worker().start()
        nginx = Nginx(worker.port).start()
        yield nginx, worker
    finally:
        if nginx:
            nginx.stop()
        if worker:
            worker.stop()
        site.cleanup()


def post(port, path, fields, *, source, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    try:
        connection.request(
            "POST",
            path,
            body=urllib.parse.urlencode(fields),
            headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
        )
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


START = {"text": "Frage über nginx", "privacy": "on"}


def test_start_limit_holds_per_real_client_behind_nginx(proxied_site):
    nginx, _ = proxied_site

    def start(source, spoofed):
        return post(nginx.port, "/buergerchat/start/1/", START, source=source, headers={"X-Forwarded-For": spoofed})[0]

    # Client 127.0.0.2 claims a new address on every start (and even to be the proxy):
    # nginx appends 127.0.0.2, and the limit counts for that address.
    first = [start("127.0.0.2", f"198.51.100.{i}, 127.0.0.1") for i in range(START_LIMIT + 2)]
    assert first == [201] * START_LIMIT + [429, 429]
    # Another client is counted on its own, even when it claims to be the first one.
    assert start("127.0.0.3", "127.0.0.2") == 201


def test_documented_configuration_is_the_tested_one():
    blocks = documented_blocks()
    assert any(block.startswith("map $http_upgrade") for block in blocks)
    for location in ("location / ", "location /ws/ "):
        block = next(block for block in blocks if block.lstrip().startswith(location))
        assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in block


def test_announced_oversized_body_is_refused_at_once(proxied_site):
    """100 MiB announced, 1 MiB sent: the documented client_max_body_size answers
    413 without waiting for the rest (daphne alone would wait for the whole body)."""
    nginx, _ = proxied_site
    with socket.create_connection(("127.0.0.1", nginx.port), timeout=5) as sock:
        sock.sendall(
            b"POST /buergerchat/api/v1/attachments HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Buergerchat-Secret: x\r\n"
            b"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: %d\r\n\r\n" % (100 * 1024 * 1024)
        )
        started = time.monotonic()
        try:
            sock.sendall(b"x" * (1024 * 1024))
        except (BrokenPipeError, ConnectionResetError):
            pass
        status = sock.recv(64).split(b"\r\n")[0]
        assert time.monotonic() - started < 1
    assert status.startswith(b"HTTP/1.1 413"), status
