"""The state shown everywhere: status endpoint, chat block, start view, iCalendar
feed, presence (hours and staff online), pushes to citizen sockets."""

import datetime

import pytest
import time_machine
from asgiref.sync import sync_to_async
from django.utils import timezone

from buergerchat_wagtail.availability import presence
from buergerchat_wagtail.availability import state as availability
from buergerchat_wagtail.models import AvailabilityMode, Conversation, StaffPresence
from tests.availability.test_schedule import ARTICLE, berlin, make_hours
from tests.conftest import citizen_socket, receive_type, staff_socket


@pytest.fixture
def article_dept(dept_a):
    dept_a.office_hours = make_hours(ARTICLE)
    dept_a.save()
    return dept_a


def start_post(client, department, **extra):
    return client.post(
        f"/buergerchat/start/{department.pk}/", {"text": "Frage außerhalb der Zeiten", "privacy": "on", **extra}
    )


@pytest.mark.django_db
class TestHttp:
    def test_status_endpoint_is_never_cached(self, client, article_dept):
        with time_machine.travel(berlin(2026, 3, 11, 9, 0), tick=False):
            response = client.get(f"/buergerchat/status/{article_dept.pk}/")
        assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
        data = response.json()["availability"]
        assert data["state"] == "available" and data["refresh_in"] == 3 * 3600 + 1
        assert client.cookies.get("sessionid") is None
        assert client.get("/buergerchat/status/999/").status_code == 404

    def test_offline_start_gets_confirmation_with_answer_time(self, client, article_dept):
        with time_machine.travel(berlin(2026, 3, 13, 10, 0), tick=False):
            response = start_post(client, article_dept, email="erika@example.org", notify="on")
            # An address alone is no consent to notices: no promise of an e-mail.
            without = start_post(client, article_dept, email="erika@example.org").json()["notice"]
        assert without == "Vielen Dank, wir haben Ihre Nachricht erhalten. Antwort in der Regel innerhalb von 2 Werktagen."
        assert response.status_code == 201
        data = response.json()
        assert data["availability"]["state"] == "closed"
        assert data["notice"] == (
            "Vielen Dank, wir haben Ihre Nachricht erhalten. Antwort in der Regel innerhalb von 2 Werktagen. "
            "Wir benachrichtigen Sie per E-Mail, sobald die Antwort vorliegt."
        )
        with time_machine.travel(berlin(2026, 3, 11, 10, 0), tick=False):
            assert start_post(client, article_dept).json()["notice"] is None

    def test_start_refused_when_closed_and_offline_messages_are_off(self, client, article_dept):
        article_dept.offline_messages = False
        article_dept.save()
        with time_machine.travel(berlin(2026, 3, 13, 10, 0), tick=False):
            response = start_post(client, article_dept)
        assert response.status_code == 409 and response.json()["code"] == "closed"
        assert not Conversation.objects.exists()

    def test_block_renders_state_and_hides_form_when_not_accepting(self, client, chat_page_factory, article_dept):
        article_dept.offline_messages = False
        article_dept.save()
        page = chat_page_factory(article_dept)
        with time_machine.travel(berlin(2026, 3, 13, 10, 0), tick=False):
            html = client.get(page.url).content.decode()
        # Pages render in German: the next opening is Wednesday, 8:30.
        assert "Mittwoch, 8:30" in html and 'data-state="closed"' in html
        assert 'data-bc-start hidden' in html
        assert f'data-bc-status-url="/buergerchat/status/{article_dept.pk}/"' in html
        assert f"/buergerchat/office-hours/{article_dept.pk}.ics" in html
        assert f'name="page" value="{page.pk}"' in html

    def test_office_hours_feed_skips_holidays_and_is_in_berlin_time(self, client, article_dept):
        with time_machine.travel(berlin(2026, 5, 30, 12, 0), tick=False):
            text = client.get(f"/buergerchat/office-hours/{article_dept.pk}.ics").content.decode()
        assert "BEGIN:VTIMEZONE" in text and "TZID:Europe/Berlin" in text
        assert "DTSTART;TZID=Europe/Berlin:20260603T083000" in text  # Wednesday
        assert "20260604T083000" not in text  # Fronleichnam (BW)
        assert "DTSTART;TZID=Europe/Berlin:20260610T083000" in text

    def test_department_listing_and_inbox_panel_use_the_same_state(self, client, superuser, worker_a, article_dept):
        client.force_login(superuser)
        with time_machine.travel(berlin(2026, 3, 13, 10, 0), tick=False):
            listing = client.get("/admin/buergerchat/departments/").content.decode()
            assert "Mittwoch, 8:30" in listing
            client.force_login(worker_a)
            inbox = client.get("/admin/buergerchat/").content.decode()
            assert "Mittwoch, 8:30" in inbox

    def test_away_toggle(self, client, worker_a, plain_user):
        client.force_login(worker_a)
        assert client.post("/admin/buergerchat/presence/away/", {"away": "1", "next": "https://evil.example/"}).url == "/admin/buergerchat/"
        assert presence.is_away(worker_a)
        client.post("/admin/buergerchat/presence/away/", {"away": "0"})
        assert not presence.is_away(worker_a)
        client.post("/admin/buergerchat/presence/away/", {"away": "maybe"})
        assert not presence.is_away(worker_a)
        client.force_login(plain_user)
        refused = client.post("/admin/buergerchat/presence/away/", {"away": "1"})
        assert refused.status_code == 302 and refused["Location"].startswith("/admin/login/")
        assert not presence.is_away(plain_user)


@pytest.mark.django_db
def test_presence_mode(dept_a, worker_a, worker_b, superuser):
    dept_a.availability_mode = AvailabilityMode.PRESENCE
    dept_a.save()
    assert availability.department_state(dept_a).state == "unstaffed"
    presence.register("other", worker_b)  # another department's worker
    presence.register("super", superuser)  # superusers staff no department by being online
    assert availability.department_state(dept_a).state == "unstaffed"
    presence.register("mine", worker_a)
    state = availability.department_state(dept_a)
    assert state.available and state.refresh_in() == availability.PRESENCE_REFRESH_SECONDS
    presence.set_away(worker_a, True)
    assert availability.department_state(dept_a).state == "unstaffed"
    presence.set_away(worker_a, False)
    StaffPresence.objects.filter(channel_name="mine").update(last_seen=timezone.now() - datetime.timedelta(minutes=5))
    assert availability.department_state(dept_a).state == "unstaffed"
    assert presence.heartbeat("mine", worker_a) is False
    assert availability.department_state(dept_a).available
    presence.unregister("mine")
    assert availability.department_state(dept_a).state == "unstaffed"


@pytest.mark.django_db(transaction=True)
async def test_staff_socket_makes_the_department_staffed_live(open_socket, dept_a, worker_a, start_conversation):
    dept_a.availability_mode = AvailabilityMode.PRESENCE
    await sync_to_async(dept_a.save)()
    _, secret = await sync_to_async(start_conversation)(dept_a)
    citizen, ready = await citizen_socket(open_socket, secret)
    assert ready["availability"]["state"] == "unstaffed"

    staff, _ = await staff_socket(open_socket, worker_a)
    frame = await receive_type(citizen, "availability")
    assert frame["availability"]["state"] == "available"
    assert frame["availability"]["label"] == "Jetzt erreichbar"
    assert (await receive_type(staff, "availability", skip=("conversation",)))["availability"]["state"] == "available"

    await staff.disconnect()
    frame = await receive_type(citizen, "availability")
    assert frame["availability"]["state"] == "unstaffed"
    assert not await sync_to_async(StaffPresence.objects.exists)()


@pytest.mark.django_db(transaction=True)
async def test_citizen_socket_is_told_when_office_hours_end(open_socket, article_dept, start_conversation):
    """The transition is computed on the server and pushed at the right moment: the
    clock stands two seconds before Wednesday 12:00 and keeps ticking."""
    _, secret = await sync_to_async(start_conversation)(article_dept)
    with time_machine.travel(berlin(2026, 3, 11, 11, 59, 58), tick=True):
        citizen, ready = await citizen_socket(open_socket, secret)
        assert ready["availability"]["state"] == "available"
        frame = await receive_type(citizen, "availability", timeout=6)
        assert frame["availability"]["state"] == "closed"
        assert "8:30" in frame["availability"]["label"]
        await citizen.disconnect()
