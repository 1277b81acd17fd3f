"""Opening times as instants: the computation behind office hours.

Office hours are wall-clock ranges in Europe/Berlin. A range becomes a pair of UTC
instants only for a concrete date, so 9:00 is 8:00 UTC in winter and 7:00 UTC in
summer. On the night the clocks go forward, times between 2:00 and 3:00 do not
exist: a range 1:00–4:00 lasts two hours, a range 2:00–3:00 none. On the night they
go back, 2:00–3:00 happens twice: a range 1:00–4:00 lasts four hours. All
comparisons are made in UTC (Python compares datetimes that share a tzinfo by wall
clock, which would be wrong in that repeated hour).
"""

import datetime
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

BERLIN = ZoneInfo("Europe/Berlin")
UTC = datetime.timezone.utc
#: How far ahead "next opening" looks (a schedule without ranges never opens).
HORIZON_DAYS = 400


@lru_cache(maxsize=64)
def public_holidays(state, year):
    """``{date: name}`` of the German public holidays of ``state`` in ``year`` (German names)."""
    return dict(holidays.country_holidays("DE", subdiv=state, years=year, language="de"))


def instant(day, wall_time):
    """The UTC instant of a wall-clock time in Berlin on ``day``.

    A time in the spring-forward gap is read with the pre-change offset (02:30 becomes
    03:30 CEST); a time in the repeated autumn hour is its first occurrence.
    """
    return datetime.datetime.combine(day, wall_time, tzinfo=BERLIN).astimezone(UTC)


def local_date(moment):
    return moment.astimezone(BERLIN).date()


def _merge(intervals):
    merged = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


@dataclass(frozen=True)
class Exception_:
    start: datetime.date
    end: datetime.date
    ranges: tuple  # ((opens, closes), ...); empty: closed


@dataclass
class Schedule:
    weekly: dict = field(default_factory=dict)  # weekday -> [(opens, closes), ...]
    exceptions: list = field(default_factory=list)  # [Exception_]
    holiday_state: str = ""

    @classmethod
    def from_office_hours(cls, office_hours):
        weekly = {}
        for r in office_hours.ranges.all():
            weekly.setdefault(r.weekday, []).append((r.opens, r.closes))
        exceptions = [
            Exception_(e.start_date, e.last_date, () if e.closed else ((e.opens, e.closes),))
            for e in office_hours.exceptions.all()
        ]
        return cls(weekly=weekly, exceptions=exceptions, holiday_state=office_hours.holiday_state)

    # ---- one day

    def holiday(self, day):
        """The name of the public holiday on ``day``, or ``None``."""
        if not self.holiday_state:
            return None
        return public_holidays(self.holiday_state, day.year).get(day)

    def wall_ranges(self, day):
        """The wall-clock ranges of ``day``: exceptions first, then holidays, then the week."""
        matching = [e for e in self.exceptions if e.start <= day <= e.end]
        if matching:
            if any(not e.ranges for e in matching):
                return []
            return sorted(r for e in matching for r in e.ranges)
        if self.holiday(day):
            return []
        return sorted(self.weekly.get(day.weekday(), []))

    def intervals(self, day):
        """Merged ``(start, end)`` UTC instants of the opening times on ``day``."""
        return _merge((instant(day, opens), instant(day, closes)) for opens, closes in self.wall_ranges(day))

    def intervals_between(self, first_day, last_day):
        day = first_day
        while day <= last_day:
            yield from self.intervals(day)
            day += datetime.timedelta(days=1)

    # ---- instants

    def current_interval(self, now):
        """The opening interval that contains ``now``, or ``None``.

        Neighbouring days are looked at too: in UTC a Berlin day spans two dates.
        """
        now = now.astimezone(UTC)
        day = local_date(now)
        for offset in (-1, 0):
            for start, end in self.intervals(day + datetime.timedelta(days=offset)):
                if start <= now < end:
                    return start, end
        return None

    def is_open(self, now):
        return self.current_interval(now) is not None

    def next_opening(self, now):
        """The first opening after ``now`` (strictly later), or ``None`` within the horizon."""
        now = now.astimezone(UTC)
        day = local_date(now) - datetime.timedelta(days=1)
        for _ in range(HORIZON_DAYS + 1):
            for start, _end in self.intervals(day):
                if start > now:
                    return start
            day += datetime.timedelta(days=1)
        return None

    def next_change(self, now):
        """When the open/closed state next changes: the end of the current interval
        (joined with one that starts exactly then) or the next opening."""
        current = self.current_interval(now)
        if current is None:
            return self.next_opening(now)
        end = current[1]
        following = self.current_interval(end)
        while following is not None and following[1] > end:
            end = following[1]
            following = self.current_interval(end)
        return end
