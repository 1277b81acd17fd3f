"""Consultation sessions: joining the queue over HTTP, live positions over the
socket, the host's actions in the admin, the end of a session, public answers."""

import datetime
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.utils import timezone

from buergerchat_wagtail.consultations import queue as consultations
from buergerchat_wagtail.conversations import services
from buergerchat_wagtail.models import (
    ConsultationSession,
    PublishedAnswer,
    QueueEntry,
    QueueStatus,
    SenderType,
)
from tests.conftest import citizen_socket, receive_type


def make_session(department, *, minutes_ago=5, minutes_left=30, capacity=1, public_qa=False):
    now = timezone.now()
    return ConsultationSession.objects.create(
        title="Bürgersprechstunde",
        host="Oberbürgermeister",
        department=department,
        starts_at=now - datetime.timedelta(minutes=minutes_ago),
        ends_at=now + datetime.timedelta(minutes=minutes_left),
        capacity=capacity,
        public_qa=public_qa,
    )


def join_http(client, session, text="Meine Frage", **extra):
    data = {"text": text, "privacy": "on", **extra}
    return client.post(f"/buergerchat/consultations/{session.pk}/join/", data)


@pytest.mark.django_db
class TestJoinAndHost:
    def test_join_gives_secret_and_position(self, client, dept_a):
        session = make_session(dept_a)
        first = join_http(client, session)
        assert first.status_code == 201
        data = first.json()
        assert data["type"] == "started" and data["secret"]
        assert data["queue"]["status"] == "waiting" and data["queue"]["position"] == 1
        assert data["queue"]["label"] == "Sie sind Nr. 1 in der Warteschlange."
        second = join_http(Client(REMOTE_ADDR="203.0.113.2"), session, text="Zweite Frage").json()
        assert second["queue"]["position"] == 2
        assert client.cookies == {}

    def test_join_refused_outside_the_session(self, client, dept_a):
        session = make_session(dept_a, minutes_ago=-60, minutes_left=120)
        response = join_http(client, session)
        assert response.status_code == 409
        assert response.json()["code"] == "session_closed"
        assert response.json()["availability"]["state"] == "upcoming"
        assert not QueueEntry.objects.exists()

    def test_join_form_errors(self, client, dept_a):
        session = make_session(dept_a)
        response = client.post(f"/buergerchat/consultations/{session.pk}/join/", {"text": ""})
        assert response.status_code == 400
        assert set(response.json()["fields"]) == {"text", "privacy"}

    def test_take_next_capacity_and_end(self, dept_a, start_conversation):
        session = make_session(dept_a, capacity=1)
        a, _ = consultations.join(session, text="Frage A")
        b, _ = consultations.join(session, text="Frage B")
        assert consultations.position_of(b) == 2
        taken = consultations.take_next(session)
        assert taken.pk == a.pk and taken.status == QueueStatus.ACTIVE
        b.refresh_from_db()
        assert consultations.position_of(b) == 1
        with pytest.raises(consultations.QueueError):
            consultations.take_next(session)  # capacity 1
        consultations.end_talk(taken)
        with pytest.raises(consultations.QueueError):
            consultations.end_talk(taken)
        assert consultations.take_next(session).pk == b.pk
        with pytest.raises(consultations.QueueError):
            consultations.take_next(session)

    def test_session_end_lets_waiting_citizens_leave_a_message(self, dept_a):
        session = make_session(dept_a)
        entry, _ = consultations.join(session, text="Frage")
        session.ends_at = timezone.now() - datetime.timedelta(seconds=1)
        session.save()
        assert consultations.finish_if_over(session) is True
        assert consultations.finish_if_over(session) is False
        entry.refresh_from_db()
        assert entry.status == QueueStatus.MISSED
        payload = consultations.entry_payload(entry)
        assert payload["label"].startswith("Die Sprechstunde ist beendet. Hinterlassen Sie hier eine Nachricht")
        # The conversation stays open for the message.
        message, created = services.post_message(
            conversation=entry.conversation, sender=SenderType.CITIZEN, body="Dann schriftlich", client_id=uuid.uuid4()
        )
        assert created

    def test_public_answers_only_with_consent(self, dept_a, worker_a):
        session = make_session(dept_a, public_qa=True, capacity=2)
        agreed, _ = consultations.join(session, text="Öffentliche Frage", consent=True)
        private, _ = consultations.join(session, text="Private Frage", consent=False)
        for entry in (agreed, private):
            consultations.take_next(session)
            services.post_message(
                conversation=entry.conversation, sender=SenderType.STAFF, body="Antwort", client_id=uuid.uuid4(), author=worker_a
            )
            entry.refresh_from_db()
            consultations.end_talk(entry)
        answers = list(PublishedAnswer.objects.all())
        assert [(a.question, a.answer) for a in answers] == [("Öffentliche Frage", "Antwort")]

    def test_host_views_and_permissions(self, client, dept_a, worker_a, worker_b):
        session = make_session(dept_a)
        consultations.join(session, text="Frage an den OB")
        client.force_login(worker_b)
        assert client.get(f"/admin/buergerchat/consultations/{session.pk}/").status_code == 403
        assert client.post(f"/admin/buergerchat/consultations/{session.pk}/take-next/").status_code == 403
        assert QueueEntry.objects.get().status == QueueStatus.WAITING
        client.force_login(worker_a)
        page = client.get(f"/admin/buergerchat/consultations/{session.pk}/")
        assert page.status_code == 200 and "Frage an den OB" in page.content.decode()
        assert client.get("/admin/buergerchat/consultations/").status_code == 200
        response = client.post(f"/admin/buergerchat/consultations/{session.pk}/take-next/")
        assert response.status_code == 302
        entry = QueueEntry.objects.get()
        assert entry.status == QueueStatus.ACTIVE
        assert client.post(f"/admin/buergerchat/consultations/{session.pk}/end/{entry.pk}/").status_code == 302
        entry.refresh_from_db()
        assert entry.status == QueueStatus.DONE
        fragment = client.get(f"/admin/buergerchat/consultations/{session.pk}/?fragment=1")
        assert b"data-bc-take-next" in fragment.content and b"<html" not in fragment.content

    def test_session_status_and_ics(self, client, dept_a):
        session = make_session(dept_a, minutes_ago=-90, minutes_left=150)
        data = client.get(f"/buergerchat/consultations/{session.pk}/status/").json()["availability"]
        assert data["state"] == "upcoming" and data["accepts_messages"] is False
        assert 5390 <= data["refresh_in"] <= 5402
        ics = client.get(f"/buergerchat/consultations/{session.pk}.ics")
        assert ics["Content-Type"].startswith("text/calendar")
        text = ics.content.decode()
        assert "SUMMARY:Bürgersprechstunde – Oberbürgermeister" in text and "DTSTART;TZID=Europe/Berlin:" in text


@pytest.mark.django_db(transaction=True)
async def test_positions_are_pushed_over_the_socket(open_socket, dept_a):
    session = await sync_to_async(make_session)(dept_a)
    first, first_secret = await sync_to_async(consultations.join)(session, text="Erste Frage")
    citizen_a, ready = await citizen_socket(open_socket, first_secret)
    assert ready["queue"]["position"] == 1 and ready["queue"]["status"] == "waiting"
    assert ready["availability"]["state"] == "available"
    second, second_secret = await sync_to_async(consultations.join)(session, text="Zweite Frage")
    citizen_b, ready_b = await citizen_socket(open_socket, second_secret)
    assert ready_b["queue"]["position"] == 2
    assert (await receive_type(citizen_a, "queue"))["queue"]["position"] == 1

    await sync_to_async(consultations.take_next)(session)
    frame = await receive_type(citizen_a, "queue")
    assert frame["queue"]["status"] == "active"
    assert frame["queue"]["label"] == "Sie sind an der Reihe: Oberbürgermeister antwortet Ihnen jetzt."
    frame = await receive_type(citizen_b, "queue")
    assert frame["queue"]["status"] == "waiting" and frame["queue"]["position"] == 1
    assert frame["queue"]["label"] == "Sie sind Nr. 1 in der Warteschlange."

    await citizen_b.send_json_to({"v": 1, "type": "leave_queue"})
    frame = await receive_type(citizen_b, "queue")
    assert frame["queue"]["status"] == "left"
    # Leaving is for waiting citizens only; a running talk is ended by the host.
    await citizen_a.send_json_to({"v": 1, "type": "leave_queue"})
    assert (await receive_type(citizen_a, "queue"))["queue"]["status"] == "active"
