"""The numbers of the report: per department and period, and per week.

Everything is computed from one query over the conversations of the period (the
number of queries does not grow with the number of conversations); durations go
through business_time.py, the one place where office hours will count.
"""

import datetime
import math
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model

from buergerchat_wagtail.reports import business_time
from buergerchat_wagtail.reports.business_time import BERLIN


def percentile(values, fraction):
    """The ``fraction`` quantile of ``values`` (linear interpolation between the closest
    ranks, as spreadsheets' PERCENTILE.INC); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    lower, upper = math.floor(position), math.ceil(position)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def _minutes(seconds):
    return None if seconds is None else round(seconds / 60, 1)


@dataclass
class Figures:
    """The figures of one week or of the whole period."""

    label: str = ""
    week_start: datetime.date | None = None
    started: int = 0
    answered: int = 0
    auto_assigned: int = 0
    answered_within_office_hours: int = 0
    first_response_seconds: list = field(default_factory=list, repr=False)
    resolution_seconds: list = field(default_factory=list, repr=False)
    ratings: list = field(default_factory=list, repr=False)

    def add(self, conversation, department):
        self.started += 1
        if conversation.get("auto_assigned_at") is not None:
            self.auto_assigned += 1
        if conversation["first_response_at"] is not None:
            self.answered += 1
            self.first_response_seconds.append(
                business_time.working_time(
                    department, conversation["created_at"], conversation["first_response_at"]
                ).total_seconds()
            )
            if business_time.answered_within_office_hours(
                department, conversation["created_at"], conversation["first_response_at"]
            ):
                self.answered_within_office_hours += 1
        if conversation["closed_at"] is not None:
            self.resolution_seconds.append(
                business_time.working_time(department, conversation["created_at"], conversation["closed_at"]).total_seconds()
            )
        if conversation["rating"] is not None:
            self.ratings.append(conversation["rating"])

    @property
    def first_response_median(self):
        return percentile(self.first_response_seconds, 0.5)

    @property
    def first_response_p90(self):
        return percentile(self.first_response_seconds, 0.9)

    @property
    def resolution_median(self):
        return percentile(self.resolution_seconds, 0.5)

    @property
    def answered_within_office_hours_share(self):
        """Share of the started conversations answered within office hours (0–1), or None."""
        return self.answered_within_office_hours / self.started if self.started else None

    @property
    def rating_average(self):
        return round(sum(self.ratings) / len(self.ratings), 2) if self.ratings else None

    @property
    def rating_count(self):
        return len(self.ratings)

    # Spreadsheet-friendly values: minutes and percent as plain numbers.
    @property
    def first_response_median_minutes(self):
        return _minutes(self.first_response_median)

    @property
    def first_response_p90_minutes(self):
        return _minutes(self.first_response_p90)

    @property
    def resolution_median_minutes(self):
        return _minutes(self.resolution_median)

    @property
    def answered_within_office_hours_percent(self):
        share = self.answered_within_office_hours_share
        return None if share is None else round(share * 100, 1)


@dataclass
class Report:
    date_from: datetime.date
    date_to: datetime.date
    total: Figures
    weeks: list
    #: Figures per assignee (``label`` is the name; conversations nobody holds are left out),
    #: by name.
    assignees: list = field(default_factory=list)


def monday(day):
    return day - datetime.timedelta(days=day.weekday())


def period_bounds(date_from, date_to):
    """Aware datetimes: the start of ``date_from`` and of the day after ``date_to`` in Europe/Berlin."""
    start = datetime.datetime.combine(date_from, datetime.time.min, tzinfo=BERLIN)
    end = datetime.datetime.combine(date_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=BERLIN)
    return start, end


def in_period(conversations, date_from, date_to):
    start, end = period_bounds(date_from, date_to)
    return conversations.filter(created_at__gte=start, created_at__lt=end)


def week_label(week_start):
    year, week, _ = week_start.isocalendar()
    return f"{year}-W{week:02d}"


def build(conversations, departments, date_from, date_to, total_label="", name_of=None):
    """The report over ``conversations`` (a queryset, already limited to the user's
    departments); ``departments`` maps id -> Department. One query, and one more for
    the assignees' names (``name_of(user)`` gives a name; default: the user name)."""
    total = Figures(label=total_label)
    by_assignee = {}
    weeks = {}
    day = monday(date_from)
    while day <= date_to:
        weeks[day] = Figures(label=week_label(day), week_start=day)
        day += datetime.timedelta(days=7)
    rows = in_period(conversations, date_from, date_to).order_by().values(
        "department_id", "created_at", "first_response_at", "closed_at", "rating", "assignee_id", "auto_assigned_at"
    )
    for row in rows:
        department = departments.get(row["department_id"])
        week = weeks[monday(row["created_at"].astimezone(BERLIN).date())]
        week.add(row, department)
        total.add(row, department)
        if row["assignee_id"] is not None:
            by_assignee.setdefault(row["assignee_id"], Figures()).add(row, department)
    return Report(
        date_from=date_from,
        date_to=date_to,
        total=total,
        weeks=list(weeks.values()),
        assignees=_named(by_assignee, name_of),
    )


def _named(by_assignee, name_of):
    """The per-assignee figures with their names, sorted by name."""
    users = get_user_model().objects.in_bulk(list(by_assignee))
    for user_id, figures in by_assignee.items():
        user = users.get(user_id)
        figures.label = (name_of(user) if name_of else user.get_username()) if user else str(user_id)
    return sorted(by_assignee.values(), key=lambda figures: figures.label.casefold())
