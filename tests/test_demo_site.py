"""The demo site's content (``load_demo``): idempotent, with the article's office hours
and a consultation session."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from buergerchat_wagtail.models import ConsultationSession, Department, OfficeHours


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
