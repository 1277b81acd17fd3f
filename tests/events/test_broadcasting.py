"""The notification path: sends collected in a database thread go out afterwards, in order."""

import threading

import pytest
from channels.layers import get_channel_layer

from buergerchat_wagtail.events import broadcasting
from buergerchat_wagtail.realtime import db_calls


def test_deferred_collects_instead_of_sending(monkeypatch):
    monkeypatch.setattr(broadcasting, "get_channel_layer", lambda: pytest.fail("sent although deferred"))
    with broadcasting.deferred() as events:
        broadcasting.group_send("a", {"type": "x", "n": 1})
        broadcasting.group_send("b", {"type": "x", "n": 2})
    assert events == [("a", {"type": "x", "n": 1}), ("b", {"type": "x", "n": 2})]


def test_deferred_is_per_thread_and_nests():
    with broadcasting.deferred() as outer:
        with broadcasting.deferred() as inner:
            broadcasting.group_send("inner", {"type": "x"})
        broadcasting.group_send("outer", {"type": "x"})
        other = []

        def elsewhere():
            with broadcasting.deferred(other):
                broadcasting.group_send("thread", {"type": "x"})

        thread = threading.Thread(target=elsewhere)
        thread.start()
        thread.join()
    assert [g for g, _ in inner] == ["inner"]
    assert [g for g, _ in outer] == ["outer"]
    assert [g for g, _ in other] == ["thread"]


async def test_send_collected_keeps_the_order_and_survives_a_failing_layer(caplog):
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add("bc-test", channel)
    await broadcasting.send_collected(layer, [("bc-test", {"type": "x", "n": n}) for n in range(5)])
    received = [(await layer.receive(channel))["n"] for _ in range(5)]
    assert received == [0, 1, 2, 3, 4]

    class Broken:
        async def group_send(self, group, event):
            raise ConnectionError("redis gone")

    await broadcasting.send_collected(Broken(), [("bc-test", {"type": "x"})])
    assert "channel layer send to bc-test failed" in caplog.text


@pytest.mark.django_db(transaction=True)
async def test_database_call_sends_after_the_call_even_when_it_fails():
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add("bc-test", channel)
    seen_in_thread = []

    def store_then_fail():
        broadcasting.group_send("bc-test", {"type": "x", "n": 1})
        seen_in_thread.append(threading.current_thread().name)
        raise ValueError("after the send")

    with pytest.raises(ValueError):
        await db_calls.database_call(store_then_fail)()
    assert (await layer.receive(channel))["n"] == 1
    assert seen_in_thread and seen_in_thread[0] != threading.main_thread().name


def test_sqlite_keeps_one_database_thread(settings):
    assert db_calls.serialise_database_calls() is True
