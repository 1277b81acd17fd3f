"""End-to-end fixtures: the demo site served by daphne (a real ASGI server on a
free port, with its own SQLite database) and Debian's Chromium driven by Playwright.

Without Chromium or Playwright these tests skip with the reason; .ci/run sets
BUERGERCHAT_REQUIRE_ALL=1, which turns any skip into a failure.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("BUERGERCHAT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, process, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not listen on {port} within {timeout}s")


class DemoServer:
    """The demo site prepared like `make demo` does, served by daphne."""

    def __init__(self, env_overrides=None, daphne_args=()):
        self.daphne_args = list(daphne_args)
        self.var_dir = Path(tempfile.mkdtemp(prefix="buergerchat-e2e-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "demo_site.settings",
            "BUERGERCHAT_VAR_DIR": str(self.var_dir),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PYTHONPATH": str(ROOT),
            **(env_overrides or {}),
        }
        self.env.pop("DATABASE_URL", None) if "DATABASE_URL" not in (env_overrides or {}) else None
        self.log = open(self.var_dir / "server.log", "wb")
        self.process = None

    def manage(self, *args):
        subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, check=True, stdout=self.log, stderr=self.log
        )

    def start(self):
        self.manage("migrate", "--noinput", "-v0")
        self.manage("load_demo")
        self.manage("collectstatic", "--noinput", "-v0")
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port),
                *self.daphne_args, "demo_site.asgi:application",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=self.log,
        )
        wait_for_port(self.port, self.process)
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()
        shutil.rmtree(self.var_dir, ignore_errors=True)

    def log_text(self):
        self.log.flush()
        return (self.var_dir / "server.log").read_text(errors="replace")


#: The browser tests start many chats from one address (127.0.0.1): lift the
#: per-client start limit for the shared server (the limits have their own tests).
#: The server logs everything it can (daphne -v 2, every Django logger at DEBUG,
#: including SQL): tests/e2e/test_server_security.py checks that output.
SHARED_SERVER_ENV = {
    "BUERGERCHAT_JSON": '{"CONVERSATIONS_PER_HOUR": 10000}',
    "DJANGO_DEBUG": "1",
    "DJANGO_LOG_LEVEL": "DEBUG",
    "BUERGERCHAT_LOG_LEVEL": "DEBUG",
    "PYTHONUNBUFFERED": "1",
}
SHARED_SERVER_DAPHNE_ARGS = ["-v", "2"]


@pytest.fixture(scope="session")
def demo_server():
    server = DemoServer(SHARED_SERVER_ENV, daphne_args=SHARED_SERVER_DAPHNE_ARGS).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Python Playwright is not installed (pip install playwright)")
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"No Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_context(browser, demo_server):
    contexts = []

    def make(**kwargs):
        context = browser.new_context(base_url=demo_server.url, locale="de-DE", **kwargs)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def login(page, username, password):
    page.goto("/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_url("**/admin/")
