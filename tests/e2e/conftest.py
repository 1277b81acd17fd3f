"""End-to-end fixtures: the demo site served by daphne (a real ASGI server on a
free port, with its own SQLite database) and Debian's Chromium driven by Playwright.

Without Chromium or Playwright these tests skip with the reason; .ci/run sets
BUERGERCHAT_REQUIRE_ALL=1, which turns any skip into a failure.
"""

import os

import pytest

from tests.live_servers import ROOT, DemoSite  # noqa: F401  (ROOT is used by tests)

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


class DemoServer:
    """The demo site prepared like `make demo` does, served by one daphne worker."""

    def __init__(self, env_overrides=None, daphne_args=None, **site_kwargs):
        self.site = DemoSite(extra_env=env_overrides, **site_kwargs)
        self.daphne_args = daphne_args
        self.worker = None

    @property
    def url(self):
        return self.worker.url

    @property
    def env(self):
        return self.site.env

    def start(self):
        self.site.prepare()
        self.worker = self.site.worker(daphne_args=self.daphne_args).start()
        return self

    def stop(self):
        if self.worker:
            self.worker.stop()
        self.site.cleanup()

    def log_text(self):
        return self.site.log_text()


#: The browser tests start many chats from one address (127.0.0.1): lift the
#: per-client start limit and queue cap for the shared server (the limits have their own tests).
#: The server logs everything it can (daphne -v 2, every Django logger at DEBUG,
#: including SQL): tests/e2e/test_server_security.py checks that output. The demo's
#: console e-mail backend prints the notification e-mails (with their recipient) on
#: purpose; production sends them by SMTP, so the shared server keeps them in memory.
SHARED_SERVER_ENV = {
    "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "BUERGERCHAT_JSON": '{"CONVERSATIONS_PER_HOUR": 10000, "QUEUE_MAX_PER_CLIENT": 0}',
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
        kwargs.setdefault("locale", "de-DE")  # a German browser unless a test says otherwise
        context = browser.new_context(base_url=demo_server.url, **kwargs)
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
