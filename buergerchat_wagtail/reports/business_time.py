"""How long things took, for the reports – the one place where office hours will count.

Office hours are not part of this app yet. Until they are, both functions below use
plain calendar time in Europe/Berlin:

- :func:`working_time` is the elapsed time between two moments;
- :func:`answered_within_office_hours` asks whether the first answer came on the same
  day (Europe/Berlin) as the question.

When office hours exist, these two functions change and nothing else: every figure
of the report (first response median and 90th percentile, resolution time, share
answered within office hours) goes through them. They receive the department, whose
office hours will decide: ``working_time`` will then count only the time inside its
opening hours, and ``answered_within_office_hours`` will ask whether the answer came
within the opening period in which the question arrived (or, for a question that
arrived while closed, within the next one). See docs/reports.md.
"""

import datetime
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")


def working_time(department, start, end):
    """The time between ``start`` and ``end`` that counts for ``department`` (never negative).

    Now: plain elapsed time. With office hours: only the time inside them.
    """
    return max(end - start, datetime.timedelta(0))


def answered_within_office_hours(department, asked_at, answered_at):
    """Whether an answer at ``answered_at`` to a question at ``asked_at`` came "within office hours".

    Now: on the same calendar day in Europe/Berlin. With office hours: within the
    opening period the question arrived in (or the next one).
    """
    return asked_at.astimezone(BERLIN).date() == answered_at.astimezone(BERLIN).date()
