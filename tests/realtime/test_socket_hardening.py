"""Citizen sockets: closed when they do not authenticate in time, and wrong secrets
counted per client address (across sockets), not per socket."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import override_settings

from buergerchat_wagtail.realtime import consumers
from tests.conftest import CITIZEN_PATH, ORIGIN, ping_pong, receive

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def conversation(dept_a, start_conversation):
    return await sync_to_async(start_conversation)(dept_a)


@pytest.fixture
async def connect(asgi_app):
    opened = []

    async def connect_(address="203.0.113.5"):
        communicator = WebsocketCommunicator(asgi_app, CITIZEN_PATH, headers=[ORIGIN])
        communicator.scope["client"] = (address, 50000 + len(opened))
        opened.append(communicator)
        connected, _ = await communicator.connect(timeout=3)
        assert connected
        return communicator

    yield connect_
    for communicator in opened:
        try:
            await communicator.disconnect()
        except BaseException:  # noqa: BLE001  (already closed)
            pass


async def wrong_secret(communicator, attempt):
    await communicator.send_json_to({"v": 1, "type": "auth", "secret": f"wrong-{attempt}"})
    frame = await receive(communicator)
    assert frame["type"] == "error" and frame["code"] == "auth_failed"


async def assert_closed(communicator, code, timeout=3):
    closed = await communicator.receive_output(timeout=timeout)
    assert closed["type"] == "websocket.close", closed
    assert closed["code"] == code


@override_settings(BUERGERCHAT={"AUTH_TIMEOUT_SECONDS": 1})
async def test_socket_that_does_not_authenticate_is_closed_with_4408(connect):
    citizen = await connect()
    # Pings do not keep an unauthenticated socket open.
    await ping_pong(citizen)
    await assert_closed(citizen, consumers.CLOSE_AUTH_TIMEOUT, timeout=4)
    assert consumers.CLOSE_AUTH_TIMEOUT == 4408


@override_settings(BUERGERCHAT={"AUTH_TIMEOUT_SECONDS": 1})
async def test_authenticated_socket_stays_open_after_the_auth_timeout(connect, conversation):
    citizen = await connect()
    await citizen.send_json_to({"v": 1, "type": "auth", "secret": conversation[1]})
    assert (await receive(citizen))["type"] == "ready"
    await asyncio.sleep(1.6)
    assert await citizen.receive_nothing(timeout=0.2)
    await ping_pong(citizen)


@override_settings(BUERGERCHAT={"MAX_AUTH_FAILURES": 3})
async def test_wrong_secrets_count_per_client_address_across_sockets(connect, conversation):
    first = await connect()
    await wrong_secret(first, 1)
    await wrong_secret(first, 2)
    await first.disconnect()
    # A new socket from the same address does not start counting afresh.
    second = await connect()
    await second.send_json_to({"v": 1, "type": "auth", "secret": "wrong-3"})
    assert (await receive(second))["code"] == "auth_failed"
    await assert_closed(second, consumers.CLOSE_TOO_MANY_FAILURES)
    # Until the window ends, that address cannot authenticate at all (no more guesses).
    third = await connect()
    await third.send_json_to({"v": 1, "type": "auth", "secret": conversation[1]})
    assert (await receive(third))["code"] == "auth_failed"
    await assert_closed(third, consumers.CLOSE_TOO_MANY_FAILURES)
    # Another address is not affected.
    other = await connect(address="198.51.100.7")
    await other.send_json_to({"v": 1, "type": "auth", "secret": conversation[1]})
    assert (await receive(other))["type"] == "ready"


@override_settings(BUERGERCHAT={"MAX_AUTH_FAILURES": 2, "AUTH_FAILURE_WINDOW": 1})
async def test_the_failure_count_expires(connect, conversation):
    citizen = await connect()
    await wrong_secret(citizen, 1)
    await citizen.send_json_to({"v": 1, "type": "auth", "secret": "wrong-2"})
    await receive(citizen)
    await assert_closed(citizen, consumers.CLOSE_TOO_MANY_FAILURES)
    await asyncio.sleep(2.1)
    again = await connect()
    await again.send_json_to({"v": 1, "type": "auth", "secret": conversation[1]})
    assert (await receive(again))["type"] == "ready"
