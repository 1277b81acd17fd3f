"""buergerchat_daphne (realtime.daphne_guard): the parts that run without a server.
The behaviour over a real socket is in tests/e2e/test_body_limits.py."""

from daphne.server import Server

from buergerchat_wagtail.realtime.daphne_guard import (
    BodyLimitedHTTPFactory,
    BodyLimitedRequest,
    BodyLimitedServer,
    CommandLine,
    _request_path,
)


def test_request_targets_become_paths():
    assert _request_path(b"/buergerchat/api/v1/messages?after=3") == "/buergerchat/api/v1/messages"
    assert _request_path(b"/buergerchat/start/1/") == "/buergerchat/start/1/"
    assert _request_path(b"http://example.org/buergerchat/start/1/?x") == "/buergerchat/start/1/"
    assert _request_path(b"/%62uergerchat/start/1/") == "/buergerchat/start/1/"
    assert _request_path(b"/prefix/buergerchat/start/1/", "/prefix") == "/buergerchat/start/1/"
    assert _request_path(b"/caf\xc3\xa9/") is None
    assert _request_path(None) is None


def test_the_server_uses_the_limited_request():
    server = BodyLimitedServer(application=None, endpoints=["tcp:port=0:interface=127.0.0.1"])
    server.http_factory = object()  # what Server.run assigns (daphne's own HTTPFactory)
    assert isinstance(server.http_factory, BodyLimitedHTTPFactory)
    protocol = server.http_factory.buildProtocol(None)
    assert protocol.requestFactory is BodyLimitedRequest
    assert issubclass(CommandLine.server_class, Server)
    assert CommandLine.server_class is BodyLimitedServer
