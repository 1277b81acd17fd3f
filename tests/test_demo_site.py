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
    assert "Live-Chat mit dem Oberbürgermeister" in html and "data-bc-session" in html


@pytest.mark.django_db
def test_consultation_page_does_not_repeat_its_name(client):
    """The page, its block and the session each have their own heading (issue 12.4)."""
    import re

    call_command("load_demo")
    html = client.get("/buergersprechstunde/").content.decode()
    main = html.split('<main id="main">', 1)[1]
    headings = [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<h[1-3][^>]*>(.*?)</h[1-3]>", main, re.S)]
    assert len(headings) == len(set(headings)), headings
    assert main.lower().count("digitale bürgersprechstunde") + main.lower().count("digitalen bürgersprechstunde") <= 1


def test_admin_menu_names_tell_hours_and_sessions_apart():
    from django.utils import translation

    from buergerchat_wagtail.views.admin.consultations import ConsultationHostViewSet, ConsultationSessionViewSet
    from buergerchat_wagtail.views.admin.office_hours import OfficeHoursViewSet

    with translation.override("de"):
        labels = [str(v.menu_label) for v in (OfficeHoursViewSet, ConsultationSessionViewSet, ConsultationHostViewSet)]
    assert labels == ["Chat-Sprechzeiten", "Sprechstunden-Termine", "Live-Sprechstunde leiten"]
