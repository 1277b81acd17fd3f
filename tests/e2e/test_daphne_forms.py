"""Under daphne, an empty multipart form reaches Django (buergerchat_wagtail/realtime/daphne_forms.py).

Twisted, under daphne, parsed multipart bodies itself and answered 400 (no headers)
to an empty ``FormData``, which Wagtail's editor sends to ping and leave editing
sessions: every page and snippet editor logged "400 Bad Request"."""

import http.client
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from .conftest import login

pytestmark = pytest.mark.browser

BOUNDARY = "----bcEmptyForm"


def post_empty_form(base_url, path):
    url = urlsplit(base_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=15)
    try:
        connection.request(
            "POST",
            path,
            body=f"--{BOUNDARY}--\r\n".encode(),
            headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        )
        response = connection.getresponse()
        return response.status, dict(response.getheaders())
    finally:
        connection.close()


def test_empty_multipart_form_reaches_django(demo_server):
    status, headers = post_empty_form(demo_server.url, "/admin/login/")
    # Django's CSRF check answers (with its headers), not Twisted's bare 400.
    assert status == 403
    assert headers.get("X-Frame-Options") == "DENY"


def test_wagtail_editing_session_ping_with_empty_form(new_context):
    page = new_context().new_page()
    login(page, "admin", "admin")
    page.goto("/admin/buergerchat/departments/")
    page.get_by_role("link", name="Bauverwaltung").first.click()
    expect(page.locator("#id_name")).to_have_value("Bauverwaltung")
    result = page.evaluate(
        """async () => {
            const config = JSON.parse(document.getElementById("wagtail-config").textContent);
            // Wagtail's editing-session form: no fields, so its FormData is empty.
            const sessions = document.querySelector("form.w-editing-sessions");
            const response = await fetch(sessions.dataset.wSwapSrcValue, {
                method: "POST", body: new FormData(sessions), headers: {"X-CSRFToken": config.CSRF_TOKEN},
            });
            return {status: response.status, body: await response.text()};
        }"""
    )
    assert result["status"] == 200, result
    assert '"session_id"' in result["body"]
