"""The client address behind reverse proxies: one function decides it for HTTP
requests and socket scopes, believing X-Forwarded-For only as trusted proxies wrote it."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings

from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.conversations.ratelimit import client_address, scope_address

PROXIES = {"TRUSTED_PROXIES": ["127.0.0.1", "10.0.0.0/8", "::1"]}


def test_without_trusted_proxies_the_peer_is_the_client():
    assert client_address("127.0.0.1", "198.51.100.1") == "127.0.0.1"
    assert client_address("203.0.113.5", "") == "203.0.113.5"


@override_settings(BUERGERCHAT=PROXIES)
@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        # nginx appends the address it saw: the right-most untrusted entry is the client,
        # whatever the client wrote before it.
        ("127.0.0.1", "203.0.113.7", "203.0.113.7"),
        ("127.0.0.1", "198.51.100.1, 203.0.113.7", "203.0.113.7"),
        ("127.0.0.1", "198.51.100.1, 127.0.0.1, 203.0.113.7", "203.0.113.7"),
        # Two trusted proxies in a row (a load balancer in front of nginx).
        ("127.0.0.1", "198.51.100.1, 203.0.113.7, 10.1.2.3", "203.0.113.7"),
        # The peer is not a trusted proxy: its header is the client's own word.
        ("203.0.113.9", "198.51.100.1", "203.0.113.9"),
        # No header, or only trusted hops: a request from the proxy's own host.
        ("127.0.0.1", "", "127.0.0.1"),
        ("127.0.0.1", "10.0.0.5, 127.0.0.1", "10.0.0.5"),
        # Garbage where the proxy's entry should be: the peer, never a chosen bucket.
        ("127.0.0.1", "198.51.100.1, unknown", "127.0.0.1"),
        # Ports and brackets as some proxies write them; IPv6 peers.
        ("127.0.0.1", "203.0.113.7:4711", "203.0.113.7"),
        ("::1", "[2001:db8::7]:443", "2001:db8::7"),
        ("::ffff:127.0.0.1", "203.0.113.7", "203.0.113.7"),
    ],
)
def test_right_most_untrusted_forwarded_address(peer, forwarded, client):
    assert client_address(peer, forwarded) == client


@override_settings(BUERGERCHAT=PROXIES)
def test_socket_scopes_use_the_same_rule():
    scope = {
        "client": ["127.0.0.1", 51000],
        "headers": [(b"x-forwarded-for", b"198.51.100.1"), (b"X-Forwarded-For", b"203.0.113.7")],
    }
    assert scope_address(scope) == "203.0.113.7"
    assert scope_address({"client": ["203.0.113.9", 1], "headers": scope["headers"]}) == "203.0.113.9"
    assert scope_address({"client": None, "headers": []}) == ""


@pytest.mark.parametrize("value", ["127.0.0.1", ["not-an-address"], [None]])
def test_trusted_proxies_are_validated(value):
    with override_settings(BUERGERCHAT={"TRUSTED_PROXIES": value}), pytest.raises(ImproperlyConfigured):
        buergerchat_settings.TRUSTED_PROXIES  # noqa: B018


@pytest.mark.django_db
@override_settings(BUERGERCHAT={**PROXIES, "CONVERSATIONS_PER_HOUR": 2})
def test_spoofed_left_entries_do_not_buy_new_start_quota(dept_a):
    """Behind nginx ($proxy_add_x_forwarded_for) a client writing a fresh address
    into X-Forwarded-For for every start still counts as itself."""

    def start(spoofed, real="203.0.113.7"):
        return Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=f"{spoofed}, {real}").post(
            f"/buergerchat/start/{dept_a.pk}/", {"text": "Frage", "privacy": "on"}
        )

    statuses = [start(f"198.51.100.{i}").status_code for i in range(4)]
    assert statuses == [201, 201, 429, 429]
    assert start("198.51.100.50", real="203.0.113.8").status_code == 201  # another client
