"""The consultation block on a page, and the demo content of issue 3."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from buergerchat_wagtail.models import ConsultationSession, Department, OfficeHours, PublishedAnswer
from tests.conftest import add_content_page


@pytest.fixture
def consultation_page(site_root, privacy_page, dept_a):
    body = [("consultations", {"heading": "Bürgersprechstunde", "intro": "", "department": dept_a, "privacy_page": privacy_page, "limit": 5})]
    return add_content_page(site_root, "sprechstunde", "Sprechstunde", body)


def session(dept, start_in_minutes, minutes=60, **kwargs):
    start = timezone.now() + datetime.timedelta(minutes=start_in_minutes)
    return ConsultationSession.objects.create(
        title=kwargs.pop("title", "Sprechstunde"), host="OB", department=dept, starts_at=start,
        ends_at=start + datetime.timedelta(minutes=minutes), **kwargs
    )


@pytest.mark.django_db
def test_block_lists_sessions_with_calendar_links_and_the_next_queue(client, consultation_page, dept_a, dept_b):
    later = session(dept_a, 60 * 24, title="Nächste Woche")
    running = session(dept_a, -10, title="Läuft gerade", public_qa=True)
    session(dept_b, 60, title="Andere Abteilung")
    past = session(dept_a, -600, title="Vorbei", public_qa=True)
    PublishedAnswer.objects.create(session=past, question="Wann kommt der Radweg?", answer="Im Mai.")
    PublishedAnswer.objects.create(session=running, question="Noch nicht zeigen", answer="…")
    html = client.get(consultation_page.url).content.decode()
    assert "Läuft gerade" in html and "Nächste Woche" in html
    assert "Andere Abteilung" not in html and html.count('data-bc-session="') == 1
    assert f'data-bc-session="{running.pk}"' in html
    assert f"/buergerchat/consultations/{later.pk}.ics" in html
    assert f"/buergerchat/consultations/{running.pk}/join/" in html
    assert 'name="publish"' in html  # consent box of the public session
    assert "Wann kommt der Radweg?" in html and "Im Mai." in html
    assert "Noch nicht zeigen" not in html


@pytest.mark.django_db
def test_block_without_sessions(client, consultation_page):
    html = client.get(consultation_page.url).content.decode()
    assert "data-bc-widget" not in html


@pytest.mark.django_db
def test_load_demo_is_idempotent_and_has_the_articles_hours(client):
    call_command("load_demo")
    counts = (Department.objects.count(), OfficeHours.objects.count(), ConsultationSession.objects.count())
    call_command("load_demo")
    assert counts == (Department.objects.count(), OfficeHours.objects.count(), ConsultationSession.objects.count())
    bau = Department.objects.get(slug="bauverwaltung")
    ranges = sorted((r.weekday, r.opens.strftime("%H:%M"), r.closes.strftime("%H:%M")) for r in bau.office_hours.ranges.all())
    assert ranges == [(2, "08:30", "12:00"), (3, "08:30", "12:00")]  # Wednesday and Thursday mornings
    assert bau.office_hours.holiday_state == "BW"
    upcoming = ConsultationSession.objects.upcoming().get()
    assert timezone.now() < upcoming.starts_at < timezone.now() + datetime.timedelta(days=8)
    html = client.get("/buergersprechstunde/").content.decode()
    assert "Digitale Bürgersprechstunde" in html and "data-bc-session" in html
