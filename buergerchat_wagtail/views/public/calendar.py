"""iCalendar feeds: a department's office hours and single consultation sessions.

The office-hours feed lists concrete opening times for the next ``ICS_DAYS`` days,
computed by the same schedule as the live state (holidays and exceptions included),
with Europe/Berlin times and a VTIMEZONE, so calendars show the same as the page.

Every text property is built with :func:`text`, an icalendar ``vText``: line breaks,
``;``, ``,`` and ``\\`` are escaped (RFC 5545, 3.3.11), so a name or title can
never start a new line, property or component, even one stored before the models'
validators refused control characters."""

import datetime
import re

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from icalendar import Calendar, Event, vText

from buergerchat_wagtail.availability.schedule import BERLIN, Schedule, local_date
from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.models import ConsultationSession, Department

PRODID = "-//buergerchat_wagtail//Buergerchat//DE"
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\u2028\u2029\x85]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def text(value):
    """An escaped iCalendar TEXT value: line breaks become ``\\n``, other control
    characters (not allowed in TEXT at all) are dropped."""
    return vText(_CONTROL.sub("", _LINE_BREAKS.sub("\n", str(value))))


def _calendar(name):
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", text(name))
    calendar.add("x-wr-timezone", "Europe/Berlin")
    return calendar


def _host():
    return getattr(settings, "WAGTAILADMIN_BASE_URL", "").split("//")[-1].split("/")[0] or "buergerchat"


def _response(calendar, filename, first, last):
    # VTIMEZONE only for the dates listed (a full history would be hundreds of lines).
    calendar.add_missing_timezones(first_date=first - datetime.timedelta(days=1), last_date=last + datetime.timedelta(days=1))
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_GET
def office_hours_feed(request, department_id):
    department = get_object_or_404(
        Department.objects.active().select_related("office_hours"), pk=department_id
    )
    calendar = _calendar(_("Chat office hours: %(department)s") % {"department": department.name})
    if department.office_hours_id:
        schedule = Schedule.from_office_hours(department.office_hours)
        today = local_date(timezone.now())
        last = today + datetime.timedelta(days=buergerchat_settings.ICS_DAYS)
        stamp = timezone.now()
        for start, end in schedule.intervals_between(today, last):
            event = Event()
            event.add("uid", f"office-hours-{department.pk}-{start:%Y%m%dT%H%M%SZ}@{_host()}")
            event.add("dtstamp", stamp)
            event.add("summary", text(_("Chat with %(department)s") % {"department": department.name}))
            event.add("dtstart", start.astimezone(BERLIN))
            event.add("dtend", end.astimezone(BERLIN))
            event.add("transp", "TRANSPARENT")
            calendar.add_component(event)
    today = local_date(timezone.now())
    return _response(
        calendar, f"buergerchat-{department.slug}.ics", today, today + datetime.timedelta(days=buergerchat_settings.ICS_DAYS)
    )


@require_GET
def session_event(request, session_id):
    session = get_object_or_404(ConsultationSession.objects.select_related("department"), pk=session_id)
    calendar = _calendar(session.title)
    event = Event()
    event.add("uid", f"consultation-{session.pk}@{_host()}")
    event.add("dtstamp", timezone.now())
    event.add("summary", text(f"{session.title} – {session.host}"))
    event.add("dtstart", session.starts_at.astimezone(BERLIN))
    event.add("dtend", session.ends_at.astimezone(BERLIN))
    if session.description:
        event.add("description", text(session.description))
    calendar.add_component(event)
    return _response(calendar, f"sprechstunde-{session.pk}.ics", local_date(session.starts_at), local_date(session.ends_at))
