"""The iCalendar feeds escape every text property (icalendar's vText): a department
name or session title with CR/LF cannot start a new line, property or component."""

import datetime

import pytest
from django.utils import timezone
from icalendar import Calendar

from buergerchat_wagtail.models import ConsultationSession, Department

pytestmark = pytest.mark.django_db

EVIL = "Amt\r\nBEGIN:VEVENT\r\nSUMMARY:Gefälscht\rX-INJECTED:1\nEND:VEVENT; a,b\\"


def save_raw(model, pk, **fields):
    # The model validators refuse these values; the feed must be safe anyway
    # (rows from before the validators, or written by other code).
    model.objects.filter(pk=pk).update(**fields)


def lines(response):
    return response.content.decode("utf-8").split("\r\n")


def assert_no_injected_line(response):
    raw = lines(response)
    for line in raw:
        assert "\r" not in line and "\n" not in line
        assert not line.startswith(("X-INJECTED", "SUMMARY:Gefälscht"))
    # Components begin and end only where the feed puts them.
    assert raw.count("BEGIN:VEVENT") == raw.count("END:VEVENT") <= 1


def test_office_hours_feed_escapes_the_department_name(client, dept_a):
    save_raw(Department, dept_a.pk, name=EVIL)
    response = client.get(f"/buergerchat/office-hours/{dept_a.pk}.ics")
    assert response.status_code == 200
    assert_no_injected_line(response)
    calendar = Calendar.from_ical(response.content)
    assert "BEGIN:VEVENT" in str(calendar["X-WR-CALNAME"])
    assert [component.name for component in calendar.walk()].count("VEVENT") == 0


def test_session_feed_escapes_title_host_and_description(client, dept_a):
    now = timezone.now()
    session = ConsultationSession.objects.create(
        title="Sprechstunde",
        host="OB",
        department=dept_a,
        starts_at=now + datetime.timedelta(days=1),
        ends_at=now + datetime.timedelta(days=1, hours=1),
    )
    save_raw(ConsultationSession, session.pk, title=EVIL, host=EVIL, description=EVIL)
    response = client.get(f"/buergerchat/consultations/{session.pk}.ics")
    assert response.status_code == 200
    assert_no_injected_line(response)
    calendar = Calendar.from_ical(response.content)
    events = [component for component in calendar.walk() if component.name == "VEVENT"]
    assert len(events) == 1
    assert "X-INJECTED" not in events[0]
    assert str(events[0]["SUMMARY"]).startswith("Amt\nBEGIN:VEVENT")
    assert "a,b\\" in str(events[0]["DESCRIPTION"])
