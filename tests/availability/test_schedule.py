"""Office hours with frozen clocks: split shifts, public holidays of Baden-Württemberg,
dated exceptions, both daylight-saving nights and "next opening" across weekends."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import translation

from buergerchat_wagtail.availability.schedule import public_holidays
from buergerchat_wagtail.availability.state import department_state
from buergerchat_wagtail.models import OfficeHours, OfficeHoursException, OfficeHoursRange

BERLIN = ZoneInfo("Europe/Berlin")
UTC = datetime.timezone.utc
T = datetime.time


def berlin(*args):
    return datetime.datetime(*args, tzinfo=BERLIN)


def utc(*args):
    return datetime.datetime(*args, tzinfo=UTC)


def make_hours(ranges, *, state="BW", exceptions=(), name="Sprechzeiten"):
    hours = OfficeHours.objects.create(name=name, holiday_state=state)
    for weekday, opens, closes in ranges:
        OfficeHoursRange.objects.create(office_hours=hours, weekday=weekday, opens=opens, closes=closes)
    for start, end, opens, closes in exceptions:
        OfficeHoursException.objects.create(office_hours=hours, start_date=start, end_date=end, opens=opens, closes=closes)
    return hours


@pytest.fixture
def with_hours(dept_a):
    def attach(hours):
        dept_a.office_hours = hours
        dept_a.save()
        return dept_a

    return attach


def state_at(department, moment):
    """The department's state with the clock frozen at ``moment`` (no explicit ``now``)."""
    with time_machine.travel(moment, tick=False), translation.override("en"):
        state = department_state(department)
        return state, state.as_payload()


WORKDAYS = [(d, T(8), T(12)) for d in range(5)] + [(d, T(14), T(18)) for d in range(5)]
ARTICLE = [(2, T(8, 30), T(12)), (3, T(8, 30), T(12))]  # Wednesday and Thursday mornings


@pytest.mark.django_db
class TestSplitShifts:
    def test_open_in_both_shifts_closed_over_lunch(self, with_hours):
        dept = with_hours(make_hours(WORKDAYS))
        # Monday 9 March 2026
        assert state_at(dept, berlin(2026, 3, 9, 7, 59))[0].state == "closed"
        state, payload = state_at(dept, berlin(2026, 3, 9, 8, 0))
        assert state.available and payload["label"] == "Available now"
        assert payload["detail"] == "Staffed until 12:00."
        assert state_at(dept, berlin(2026, 3, 9, 11, 59, 59))[0].available

        state, payload = state_at(dept, berlin(2026, 3, 9, 12, 0))
        assert state.state == "closed"
        assert payload["label"] == "Currently not staffed – available again today, 14:00"
        assert state.next_opening == berlin(2026, 3, 9, 14, 0)
        assert payload["refresh_in"] == 2 * 3600 + 1

        assert state_at(dept, berlin(2026, 3, 9, 14, 0))[0].available
        state, payload = state_at(dept, berlin(2026, 3, 9, 18, 0))
        assert payload["label"] == "Currently not staffed – available again tomorrow, 8:00"

    def test_touching_ranges_count_as_one(self, with_hours):
        dept = with_hours(make_hours([(0, T(8), T(12)), (0, T(12), T(13)), (0, T(10), T(11))]))
        state, _ = state_at(dept, berlin(2026, 3, 9, 9, 0))
        assert state.closes_at == berlin(2026, 3, 9, 13, 0)

    def test_no_office_hours_means_always_available(self, dept_a):
        state, payload = state_at(dept_a, berlin(2026, 3, 8, 3, 0))
        assert state.available and payload["next_change"] is None and payload["refresh_in"] is None


@pytest.mark.django_db
class TestHolidays:
    def test_corpus_christi_closes_in_baden_wuerttemberg_only(self, with_hours):
        # Fronleichnam, Thursday 4 June 2026: a public holiday in BW, not in Bremen.
        assert public_holidays("BW", 2026)[datetime.date(2026, 6, 4)] == "Fronleichnam"
        dept = with_hours(make_hours(ARTICLE, state="BW"))
        state, payload = state_at(dept, berlin(2026, 6, 4, 10, 0))
        assert state.state == "closed"
        assert state.next_opening == berlin(2026, 6, 10, 8, 30)
        assert payload["label"] == "Currently not staffed – available again Wednesday, 8:30"

        dept.office_hours.holiday_state = "HB"
        dept.office_hours.save()
        assert state_at(dept, berlin(2026, 6, 4, 10, 0))[0].available

        dept.office_hours.holiday_state = ""
        dept.office_hours.save()
        assert state_at(dept, berlin(2026, 6, 4, 10, 0))[0].available

    def test_exception_overrides_a_holiday(self, with_hours):
        special = [(datetime.date(2026, 6, 4), None, T(9), T(11))]
        dept = with_hours(make_hours(ARTICLE, exceptions=special))
        assert state_at(dept, berlin(2026, 6, 4, 10, 0))[0].available
        assert state_at(dept, berlin(2026, 6, 4, 11, 30))[0].state == "closed"


@pytest.mark.django_db
class TestExceptions:
    def test_closed_range_over_christmas_and_new_year(self, with_hours):
        closed = [(datetime.date(2026, 12, 24), datetime.date(2027, 1, 1), None, None)]
        dept = with_hours(make_hours(ARTICLE, exceptions=closed))
        # A Wednesday and a Thursday inside the range are closed.
        assert state_at(dept, berlin(2026, 12, 24, 9, 0))[0].state == "closed"
        state, payload = state_at(dept, berlin(2026, 12, 30, 9, 0))
        assert state.state == "closed"
        # 6 January 2027 (Wednesday) is Heilige Drei Könige in BW: next is Thursday 7 January.
        assert state.next_opening == berlin(2027, 1, 7, 8, 30)
        assert payload["label"] == "Currently not staffed – available again Thursday, 01/07/2027, 8:30"
        assert state_at(dept, berlin(2027, 1, 7, 8, 30))[0].available
        # The day before the range is a normal Wednesday.
        assert state_at(dept, berlin(2026, 12, 23, 9, 0))[0].available

    def test_special_opening_hours_on_a_saturday(self, with_hours):
        special = [(datetime.date(2026, 3, 14), None, T(10), T(12)), (datetime.date(2026, 3, 14), None, T(13), T(14))]
        dept = with_hours(make_hours(WORKDAYS, exceptions=special))
        assert state_at(dept, berlin(2026, 3, 14, 10, 30))[0].available
        state, payload = state_at(dept, berlin(2026, 3, 14, 12, 30))
        assert payload["label"] == "Currently not staffed – available again today, 13:00"
        assert state_at(dept, berlin(2026, 3, 15, 10, 30))[0].state == "closed"

    def test_a_closing_row_wins_over_special_hours_on_the_same_day(self, with_hours):
        rows = [(datetime.date(2026, 3, 14), None, T(10), T(12)), (datetime.date(2026, 3, 10), datetime.date(2026, 3, 20), None, None)]
        dept = with_hours(make_hours(WORKDAYS, exceptions=rows))
        assert state_at(dept, berlin(2026, 3, 14, 10, 30))[0].state == "closed"

    def test_validation(self):
        hours = OfficeHours.objects.create(name="x")
        with pytest.raises(ValidationError) as exc:
            OfficeHoursRange(office_hours=hours, weekday=0, opens=T(12), closes=T(8)).full_clean()
        assert "closes" in exc.value.message_dict
        with pytest.raises(ValidationError) as exc:
            OfficeHoursException(
                office_hours=hours, start_date=datetime.date(2026, 1, 5), end_date=datetime.date(2026, 1, 1)
            ).full_clean()
        assert "end_date" in exc.value.message_dict
        with pytest.raises(ValidationError) as exc:
            OfficeHoursException(office_hours=hours, start_date=datetime.date(2026, 1, 5), opens=T(9)).full_clean()
        assert "closes" in exc.value.message_dict


@pytest.mark.django_db
class TestDaylightSaving:
    def test_spring_forward_night(self, with_hours):
        # Sunday 29 March 2026: 02:00 CET becomes 03:00 CEST. A 01:00–04:00 range lasts two hours.
        dept = with_hours(make_hours([(6, T(1), T(4)), (0, T(9), T(10)), (4, T(9), T(10))]))
        assert state_at(dept, utc(2026, 3, 28, 23, 59))[0].state == "closed"  # 00:59 CET
        state, _ = state_at(dept, utc(2026, 3, 29, 0, 0))  # 01:00 CET
        assert state.available
        assert state.closes_at == utc(2026, 3, 29, 2, 0)  # 04:00 CEST
        assert state_at(dept, utc(2026, 3, 29, 1, 30))[0].available  # 03:30 CEST
        state, _ = state_at(dept, utc(2026, 3, 29, 2, 0))  # 04:00 CEST
        assert state.state == "closed"
        # 9:00 is 08:00 UTC on the Friday before and 07:00 UTC on the Monday after.
        assert state.next_opening == utc(2026, 3, 30, 7, 0)
        assert state_at(dept, utc(2026, 3, 27, 8, 0))[0].available
        assert state_at(dept, utc(2026, 3, 27, 7, 30))[0].state == "closed"
        assert state_at(dept, utc(2026, 3, 30, 7, 0))[0].available

    def test_a_range_inside_the_missing_hour_never_opens(self, with_hours):
        dept = with_hours(make_hours([(6, T(2), T(3))]))
        assert state_at(dept, utc(2026, 3, 29, 1, 0))[0].state == "closed"
        assert state_at(dept, utc(2026, 3, 29, 0, 30))[0].state == "closed"
        # The Sunday after has the hour again (CEST): 02:00–03:00 is 00:00–01:00 UTC.
        state, _ = state_at(dept, utc(2026, 3, 29, 1, 0))
        assert state.next_opening == utc(2026, 4, 5, 0, 0)

    def test_fall_back_night(self, with_hours):
        # Sunday 25 October 2026: 03:00 CEST becomes 02:00 CET. 01:00–04:00 lasts four hours.
        dept = with_hours(make_hours([(6, T(1), T(4)), (0, T(9), T(10)), (4, T(9), T(10))]))
        state, _ = state_at(dept, utc(2026, 10, 24, 23, 0))  # 01:00 CEST
        assert state.available and state.closes_at == utc(2026, 10, 25, 3, 0)  # 04:00 CET
        assert state_at(dept, utc(2026, 10, 25, 0, 30))[0].available  # first 02:30 (CEST)
        assert state_at(dept, utc(2026, 10, 25, 1, 30))[0].available  # second 02:30 (CET)
        assert state_at(dept, utc(2026, 10, 25, 2, 59))[0].available  # 03:59 CET
        assert state_at(dept, utc(2026, 10, 25, 3, 0))[0].state == "closed"
        # 9:00 is 07:00 UTC on the Friday before and 08:00 UTC on the Monday after.
        assert state_at(dept, utc(2026, 10, 23, 7, 0))[0].available
        state, _ = state_at(dept, utc(2026, 10, 25, 3, 0))
        assert state.next_opening == utc(2026, 10, 26, 8, 0)
        assert state_at(dept, utc(2026, 10, 26, 7, 30))[0].state == "closed"


@pytest.mark.django_db
class TestNextOpening:
    def test_across_a_weekend(self, with_hours):
        dept = with_hours(make_hours(WORKDAYS))
        state, payload = state_at(dept, berlin(2026, 3, 13, 18, 30))  # Friday evening
        assert state.next_opening == berlin(2026, 3, 16, 8, 0)
        assert payload["label"] == "Currently not staffed – available again Monday, 8:00"
        assert payload["next_change"] == "2026-03-16T07:00:00+00:00"

    def test_across_a_weekend_and_a_holiday(self, with_hours):
        # Maundy Thursday evening 2026: Good Friday, the weekend and Easter Monday are closed.
        dept = with_hours(make_hours(WORKDAYS))
        state, payload = state_at(dept, berlin(2026, 4, 2, 18, 0))
        assert state.next_opening == berlin(2026, 4, 7, 8, 0)
        assert payload["label"] == "Currently not staffed – available again Tuesday, 8:00"

    def test_article_hours_from_thursday_noon_to_next_wednesday(self, with_hours):
        dept = with_hours(make_hours(ARTICLE))
        state, payload = state_at(dept, berlin(2026, 3, 12, 12, 0))
        assert payload["label"] == "Currently not staffed – available again Wednesday, 8:30"
        # More than a week away, the date is added.
        closed = [(datetime.date(2026, 3, 18), datetime.date(2026, 3, 19), None, None)]
        dept = with_hours(make_hours(ARTICLE, exceptions=closed, name="mit Ausnahme"))
        state, payload = state_at(dept, berlin(2026, 3, 12, 12, 0))
        assert state.next_opening == berlin(2026, 3, 25, 8, 30)
        assert payload["label"] == "Currently not staffed – available again Wednesday, 03/25/2026, 8:30"

    def test_no_ranges_never_opens(self, with_hours):
        dept = with_hours(make_hours([]))
        state, payload = state_at(dept, berlin(2026, 3, 12, 12, 0))
        assert state.next_opening is None and payload["label"] == "Currently not staffed"
        assert payload["refresh_in"] is None


@pytest.mark.django_db
def test_offline_detail_and_inactive(with_hours):
    dept = with_hours(make_hours(ARTICLE))
    dept.answer_days = 1
    dept.save()
    _, payload = state_at(dept, berlin(2026, 3, 13, 10, 0))
    assert payload["accepts_messages"] is True
    assert payload["detail"] == "You can still write to us. Answers usually within 1 working day."
    dept.offline_messages = False
    dept.save()
    _, payload = state_at(dept, berlin(2026, 3, 13, 10, 0))
    assert payload["accepts_messages"] is False
    assert payload["detail"] == "Please write to us during office hours."
    dept.is_active = False
    dept.save()
    _, payload = state_at(dept, berlin(2026, 3, 11, 10, 0))
    assert payload["state"] == "inactive" and payload["accepts_messages"] is False
