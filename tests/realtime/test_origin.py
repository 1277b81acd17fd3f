"""The WebSocket Origin check compares the whole origin (scheme, host, port), not
only the host name: a staff cookie sent from ``http://127.0.0.1:9999`` to the site on
``http://127.0.0.1:8000`` must not open a socket."""

import pytest
from asgiref.sync import sync_to_async
from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.test import override_settings

from buergerchat_wagtail.checks import check_settings
from buergerchat_wagtail.realtime.origin import parse_origin
from buergerchat_wagtail.routing import OriginValidator, websocket_urlpatterns
from tests.conftest import CITIZEN_PATH, STAFF_PATH, _session_cookie, receive

pytestmark = pytest.mark.django_db(transaction=True)

SITE = "127.0.0.1:8000"


def application():
    return OriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))


async def handshake(path, origin, host=SITE, user=None, scheme="ws", extra=()):
    headers = [(b"host", host.encode())] if host else []
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    headers += list(extra)
    if user is not None:
        sessionid = await sync_to_async(_session_cookie)(user)
        headers.append((b"cookie", f"sessionid={sessionid}".encode()))
    communicator = WebsocketCommunicator(application(), path, headers=headers)
    communicator.scope["scheme"] = scheme
    connected, _ = await communicator.connect(timeout=3)
    return communicator, connected


@pytest.mark.parametrize(
    "origin",
    [
        "http://127.0.0.1:9999",  # same host, other port
        "https://127.0.0.1:8000",  # same host and port, other scheme
        "http://127.0.0.1",  # default port 80, not 8000
        "http://evil.example:8000",
        "http://127.0.0.1:8000.evil.example",
        "null",
        "",
    ],
)
async def test_staff_socket_from_another_origin_is_refused(worker_a, origin):
    communicator, connected = await handshake(STAFF_PATH, origin, user=worker_a)
    assert not connected
    await communicator.disconnect()


async def test_staff_socket_from_its_own_origin_gets_hello(worker_a):
    communicator, connected = await handshake(STAFF_PATH, "http://127.0.0.1:8000", user=worker_a)
    assert connected
    assert (await receive(communicator))["type"] == "hello"
    await communicator.disconnect()


async def test_missing_origin_is_refused(worker_a):
    communicator, connected = await handshake(CITIZEN_PATH, None)
    assert not connected


async def test_host_not_in_allowed_hosts_is_refused():
    # DNS rebinding: Origin and Host agree, but the host is not the site's.
    communicator, connected = await handshake(CITIZEN_PATH, "http://rebound.example:8000", host="rebound.example:8000")
    assert not connected


async def test_wss_socket_needs_an_https_origin():
    communicator, connected = await handshake(CITIZEN_PATH, "http://localhost", host="localhost", scheme="wss")
    assert not connected
    communicator, connected = await handshake(CITIZEN_PATH, "https://localhost", host="localhost", scheme="wss")
    assert connected
    await communicator.disconnect()


@override_settings(SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"))
async def test_behind_a_tls_proxy_the_scheme_comes_from_secure_proxy_ssl_header():
    proto = [(b"x-forwarded-proto", b"https")]
    communicator, connected = await handshake(CITIZEN_PATH, "https://localhost", host="localhost", extra=proto)
    assert connected
    await communicator.disconnect()
    communicator, connected = await handshake(CITIZEN_PATH, "http://localhost", host="localhost", extra=proto)
    assert not connected


@override_settings(
    BUERGERCHAT={"ALLOWED_ORIGINS": ["https://www.musterstadt.de", "https://musterstadt.de:8443"]},
)
@pytest.mark.parametrize(
    "origin, allowed",
    [
        ("https://www.musterstadt.de", True),
        ("https://www.musterstadt.de:443", True),
        ("https://musterstadt.de:8443", True),
        ("https://musterstadt.de", False),
        ("http://www.musterstadt.de", False),
        ("http://127.0.0.1:8000", False),  # with the setting, the own origin is not added
    ],
)
async def test_allowed_origins_setting_for_several_host_names(origin, allowed):
    communicator, connected = await handshake(CITIZEN_PATH, origin)
    assert connected is allowed
    await communicator.disconnect()


def test_parse_origin():
    assert parse_origin("HTTPS://WWW.Example.de") == ("https", "www.example.de", 443)
    assert parse_origin("http://[::1]:8000") == ("http", "::1", 8000)
    for value in ("null", "", "ftp://x", "https://a.de/path", "https://user@a.de", "https://a.de:99999", None):
        assert parse_origin(value) is None



def test_system_check_reports_entries_that_are_not_origins():
    with override_settings(BUERGERCHAT={"ALLOWED_ORIGINS": ["https://www.musterstadt.de/chat"]}):
        assert [message.id for message in check_settings(None)] == ["buergerchat.E004"]
    with override_settings(BUERGERCHAT={"ALLOWED_ORIGINS": ["https://www.musterstadt.de"]}):
        assert check_settings(None) == []
