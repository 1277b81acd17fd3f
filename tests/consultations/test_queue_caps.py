"""Caps of a consultation session's queue: one open entry per client (keyed hash of
its address, never stored in the database) and a limit for the whole queue, both
refused with a clear, translated message for the widget's start form."""

import datetime

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone, translation

from buergerchat_wagtail.consultations import queue as consultations
from buergerchat_wagtail.conversations.ratelimit import client_hash
from buergerchat_wagtail.models import ConsultationSession, QueueEntry, QueueStatus
from buergerchat_wagtail.protocol.frames import ProtocolError


@pytest.fixture
def session(dept_a):
    now = timezone.now()
    return ConsultationSession.objects.create(
        title="Bürgersprechstunde",
        host="Oberbürgermeister",
        department=dept_a,
        starts_at=now - datetime.timedelta(minutes=5),
        ends_at=now + datetime.timedelta(minutes=30),
    )


def join(session, address, text="Meine Frage"):
    return Client(REMOTE_ADDR=address).post(
        f"/buergerchat/consultations/{session.pk}/join/", {"text": text, "privacy": "on"}
    )


@pytest.mark.django_db
def test_one_open_entry_per_client(session):
    assert join(session, "203.0.113.7").status_code == 201
    again = join(session, "203.0.113.7")
    assert again.status_code == 409
    frame = again.json()
    assert frame["type"] == "error" and frame["code"] == "already_queued"
    assert frame["detail"].startswith("Sie stehen bereits in der Warteschlange")
    assert frame["availability"]["state"] == "running"
    # In English (the socket's language, or a site with LocaleMiddleware).
    with translation.override("en"), pytest.raises(ProtocolError) as refused:
        consultations.join(session, text="Frage", client=client_hash("203.0.113.7"))
    assert refused.value.detail.startswith("You are already in the queue")
    assert QueueEntry.objects.count() == 1
    assert join(session, "203.0.113.8").status_code == 201  # another client

    # Once the client has left the queue, it may join again.
    consultations.leave(QueueEntry.objects.order_by("pk").first())
    assert join(session, "203.0.113.7").status_code == 201

    # The address is nowhere in the database.
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            assert "203.0.113.7" not in repr(cursor.fetchall()), table


@pytest.mark.django_db
@override_settings(BUERGERCHAT={"QUEUE_MAX_PER_SESSION": 3, "CONVERSATIONS_PER_HOUR": 0})
def test_the_queue_is_full(session):
    assert [join(session, f"198.51.100.{i}").status_code for i in range(3)] == [201, 201, 201]
    full = join(session, "198.51.100.50")
    assert full.status_code == 409 and full.json()["code"] == "queue_full"
    assert full.json()["detail"].startswith("Die Warteschlange dieser Sprechstunde ist voll")
    with translation.override("en"), pytest.raises(ProtocolError) as refused:
        consultations.join(session, text="Frage", client=client_hash("198.51.100.51"))
    assert refused.value.detail.startswith("The queue of this consultation hour is full")
    # Taking the next citizen makes room again.
    consultations.take_next(session)
    assert join(session, "198.51.100.50").status_code == 201
    assert QueueEntry.objects.filter(status=QueueStatus.WAITING).count() == 3


@pytest.mark.django_db
@override_settings(BUERGERCHAT={"QUEUE_MAX_PER_CLIENT": 0, "QUEUE_MAX_PER_SESSION": 0, "CONVERSATIONS_PER_HOUR": 0})
def test_caps_can_be_switched_off(session):
    assert [join(session, "203.0.113.7").status_code for _ in range(3)] == [201, 201, 201]


def test_messages_are_translated():
    for code_text in (
        "The queue of this consultation hour is full. Please try again later, or write to the department.",
        "You are already in the queue of this consultation hour. Please wait for your turn in your open chat.",
    ):
        with translation.override("de"):
            assert translation.gettext(code_text) != code_text
