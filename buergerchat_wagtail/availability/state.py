"""The one answer to "can citizens reach this department now?".

:func:`department_state` is used by the chat block, the widget (status endpoint and
``availability`` frames), the staff socket, the admin and the start view. It combines
the department's office hours (with holidays and exceptions, see :mod:`.schedule`)
and, in the "office hours and staff online" mode, the presence of case workers.
"""

import datetime
from dataclasses import asdict, dataclass

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from buergerchat_wagtail.availability import presence
from buergerchat_wagtail.availability.schedule import BERLIN, UTC, Schedule
from buergerchat_wagtail.events import groups
from buergerchat_wagtail.events.broadcasting import group_send
from buergerchat_wagtail.models import AvailabilityMode, Department

#: Departments that depend on presence are re-checked by clients at least this often
#: (seconds), in case a socket's worker died without telling anyone.
PRESENCE_REFRESH_SECONDS = 60

AVAILABLE = "available"
UNSTAFFED = "unstaffed"  # inside office hours, but no case worker online
CLOSED = "closed"  # outside office hours
INACTIVE = "inactive"


def format_time(moment):
    local = moment.astimezone(BERLIN)
    return f"{local.hour}:{local.minute:02d}"


def format_when(moment, now):
    """ "today, 9:00", "tomorrow, 9:00", "Wednesday, 9:00" or, beyond a week, with the date."""
    local = moment.astimezone(BERLIN)
    days = (local.date() - now.astimezone(BERLIN).date()).days
    time = format_time(moment)
    if days <= 0:
        return _("today, %(time)s") % {"time": time}
    if days == 1:
        return _("tomorrow, %(time)s") % {"time": time}
    weekday = formats.date_format(local, "l")
    if days < 7:
        return _("%(day)s, %(time)s") % {"day": weekday, "time": time}
    date = formats.date_format(local, "SHORT_DATE_FORMAT")
    return _("%(day)s, %(date)s, %(time)s") % {"day": weekday, "date": date, "time": time}


def answer_time_text(answer_days):
    return ngettext(
        "Answers usually within %(days)d working day.",
        "Answers usually within %(days)d working days.",
        answer_days,
    ) % {"days": answer_days}


def _iso(moment):
    return moment.isoformat() if moment else None


def _parse(value):
    return datetime.datetime.fromisoformat(value) if value else None


@dataclass(frozen=True)
class DepartmentState:
    department_id: int
    active: bool
    in_hours: bool
    staffed: bool
    uses_presence: bool
    offline_messages: bool
    answer_days: int
    closes_at: datetime.datetime | None
    next_opening: datetime.datetime | None
    computed_at: datetime.datetime

    @property
    def state(self):
        if not self.active:
            return INACTIVE
        if not self.in_hours:
            return CLOSED
        return AVAILABLE if self.staffed else UNSTAFFED

    @property
    def available(self):
        return self.state == AVAILABLE

    @property
    def accepts_messages(self):
        """May a citizen start a conversation now (live or as an offline message)?"""
        return self.active and (self.available or self.offline_messages)

    @property
    def next_change(self):
        """When the state changes by the clock (presence changes are pushed instead)."""
        if not self.active:
            return None
        return self.closes_at if self.in_hours else self.next_opening

    @property
    def label(self):
        state = self.state
        if state == INACTIVE:
            return _("This chat is not available at the moment.")
        if state == AVAILABLE:
            return _("Available now")
        if state == CLOSED and self.next_opening:
            return _("Currently not staffed – available again %(when)s") % {
                "when": format_when(self.next_opening, self.computed_at)
            }
        return _("Currently not staffed")

    @property
    def detail(self):
        state = self.state
        if state == INACTIVE:
            return ""
        if state == AVAILABLE:
            if self.closes_at:
                return _("Staffed until %(time)s.") % {"time": format_time(self.closes_at)}
            return ""
        if self.offline_messages:
            return _("You can still write to us.") + " " + answer_time_text(self.answer_days)
        return _("Please write to us during office hours.")

    def refresh_in(self):
        """Seconds after which a client should ask again, or ``None``."""
        candidates = []
        if self.next_change:
            candidates.append(max(1, int((self.next_change - self.computed_at).total_seconds()) + 1))
        if self.uses_presence and self.active:
            candidates.append(PRESENCE_REFRESH_SECONDS)
        return min(candidates) if candidates else None

    def as_payload(self):
        """The ``availability`` object of frames and the status endpoint (active language)."""
        return {
            "department": self.department_id,
            "state": self.state,
            "available": self.available,
            "accepts_messages": self.accepts_messages,
            "label": self.label,
            "detail": self.detail,
            "next_change": _iso(self.next_change),
            "next_opening": _iso(self.next_opening),
            "refresh_in": self.refresh_in(),
        }

    def to_event(self):
        """JSON-safe, language-free: channel-layer events carry this; each socket
        renders the texts in its own language."""
        data = asdict(self)
        for key in ("closes_at", "next_opening", "computed_at"):
            data[key] = _iso(data[key])
        return data

    @classmethod
    def from_event(cls, data):
        data = dict(data)
        for key in ("closes_at", "next_opening", "computed_at"):
            data[key] = _parse(data[key])
        return cls(**data)


def department_state(department, now=None):
    """The state of ``department`` at ``now`` (default: the current time)."""
    now = (now or timezone.now()).astimezone(UTC)
    office_hours = department.office_hours if department.office_hours_id else None
    closes_at = next_opening = None
    if office_hours is None:
        in_hours = True
    else:
        schedule = Schedule.from_office_hours(office_hours)
        in_hours = schedule.is_open(now)
        if in_hours:
            closes_at = schedule.next_change(now)
        next_opening = schedule.next_opening(now) if not in_hours else None
    uses_presence = department.availability_mode == AvailabilityMode.PRESENCE
    staffed = True
    if uses_presence and in_hours and department.is_active:
        staffed = presence.is_staffed(department, now)
    return DepartmentState(
        department_id=department.pk,
        active=department.is_active,
        in_hours=in_hours,
        staffed=staffed,
        uses_presence=uses_presence,
        offline_messages=department.offline_messages,
        answer_days=department.answer_days,
        closes_at=closes_at,
        next_opening=next_opening,
        computed_at=now,
    )


def broadcast(department_ids, *, presence_changed=False):
    """Push the current state of these departments to citizen and staff sockets.

    With ``presence_changed`` (a case worker came, left or set themselves away), only
    departments whose state depends on presence are told."""
    departments = Department.objects.filter(pk__in=list(department_ids)).select_related("office_hours")
    if presence_changed:
        departments = departments.filter(availability_mode=AvailabilityMode.PRESENCE)
    for department in departments:
        event = {"type": "bc.availability", "department": department.pk, "state": department_state(department).to_event()}
        group_send(groups.availability(department.pk), event)
        group_send(groups.department(department.pk), event)
