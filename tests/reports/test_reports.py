"""The report: figures per department and period, weekly charts, spreadsheet export,
and a number of queries that does not grow with the number of conversations."""

import csv
import datetime
import io
import re
import uuid

import pytest
from django.test import Client
from django.utils import translation
from django.urls import reverse

from buergerchat_wagtail.models import Conversation, ConversationStatus
from buergerchat_wagtail.models.conversations import hash_secret
from buergerchat_wagtail.reports import business_time, charts
from buergerchat_wagtail.reports import figures as reporting
from buergerchat_wagtail.reports.business_time import BERLIN
from buergerchat_wagtail.views.admin.reports import format_duration
from tests.factories import count_queries, make_conversations

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 3, 2)  # winter time: Berlin is UTC+1


def at(day, hour, minute=0):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=BERLIN)


def conversation(department, created, *, answered_after=None, closed_after=None, rating=None):
    return Conversation.objects.create(
        department=department,
        subject="Anliegen",
        secret_hash=hash_secret(str(uuid.uuid4())),
        created_at=created,
        last_activity_at=created,
        first_response_at=created + answered_after if answered_after is not None else None,
        closed_at=created + closed_after if closed_after is not None else None,
        status=ConversationStatus.CLOSED if closed_after is not None else ConversationStatus.OPEN,
        rating=rating,
    )


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def report_url(**params):
    url = reverse("buergerchat_report:index")
    if params:
        from urllib.parse import urlencode

        url += "?" + urlencode(params)
    return url


# --------------------------------------------------------------------------- the arithmetic


def test_percentile_interpolates_like_a_spreadsheet():
    values = list(range(1, 11))
    assert reporting.percentile(values, 0.5) == 5.5
    assert reporting.percentile(values, 0.9) == pytest.approx(9.1)
    assert reporting.percentile([7], 0.9) == 7
    assert reporting.percentile([], 0.5) is None
    assert reporting.percentile([3, 1, 2], 0.5) == 2


def test_business_time_is_plain_time_until_office_hours_exist(dept_a):
    start = at(MONDAY, 9)
    assert business_time.working_time(dept_a, start, start + datetime.timedelta(minutes=90)) == datetime.timedelta(minutes=90)
    assert business_time.working_time(dept_a, start, start - datetime.timedelta(minutes=5)) == datetime.timedelta(0)
    # "Within office hours" means the same day in Europe/Berlin, not in UTC.
    late = at(MONDAY, 23, 30)  # 22:30 UTC
    assert business_time.answered_within_office_hours(dept_a, at(MONDAY, 8), late)
    assert not business_time.answered_within_office_hours(dept_a, late, late + datetime.timedelta(minutes=40))


def test_figures_per_period_and_week(dept_a):
    minutes = lambda n: datetime.timedelta(minutes=n)  # noqa: E731
    # Week 1: three started, two answered (10 and 30 min), one closed after 2 h and rated 4.
    conversation(dept_a, at(MONDAY, 9), answered_after=minutes(10), closed_after=minutes(120), rating=4)
    conversation(dept_a, at(MONDAY, 10), answered_after=minutes(30))
    conversation(dept_a, at(MONDAY + datetime.timedelta(days=6), 23, 30))  # Sunday night, Berlin: still week 1
    # Week 3: one answered the next day (not within office hours), rated 2.
    conversation(
        dept_a, at(MONDAY + datetime.timedelta(days=14), 16), answered_after=datetime.timedelta(hours=20),
        closed_after=datetime.timedelta(hours=21), rating=2,
    )  # fmt: skip
    conversation(dept_a, at(MONDAY - datetime.timedelta(days=1), 12))  # before the period
    report = reporting.build(
        Conversation.objects.all(), {dept_a.pk: dept_a}, MONDAY, MONDAY + datetime.timedelta(days=20)
    )
    assert [w.label for w in report.weeks] == ["2026-W10", "2026-W11", "2026-W12"]
    first, empty, third = report.weeks
    assert (first.started, first.answered, first.answered_within_office_hours) == (3, 2, 2)
    assert first.first_response_median == 20 * 60
    assert first.first_response_p90 == pytest.approx(28 * 60)
    assert first.resolution_median == 120 * 60
    assert first.rating_average == 4 and first.rating_count == 1
    assert first.answered_within_office_hours_percent == pytest.approx(66.7)
    assert (empty.started, empty.first_response_median, empty.answered_within_office_hours_share) == (0, None, None)
    assert third.answered_within_office_hours == 0
    total = report.total
    assert (total.started, total.answered) == (4, 3)
    assert total.first_response_median == 30 * 60
    assert total.rating_average == 3 and total.rating_count == 2
    assert total.first_response_median_minutes == 30.0


def test_durations_for_people():
    assert format_duration(None) == "–"
    # German, the demo language (LANGUAGE_CODE)
    assert format_duration(44 * 60) == "44 Min."
    assert format_duration(185 * 60) == "3 Std. 05 Min."
    assert format_duration((2 * 24 + 4) * 3600) == "2 T. 4 Std."


def test_chart_geometry():
    chart = charts.bar_chart(
        ["a", "b", "c"], [[0, 5, 10], [None, 2, 4]], title="T", description="D", series_names=["eins", "zwei"]
    )
    bars = chart["bars"]
    assert len(bars) == 5  # None draws nothing
    tallest = max(bars, key=lambda b: b.height)
    assert tallest.y == pytest.approx(chart["baseline"] - tallest.height)
    assert [t.label for t in chart["ticks"]] == ["0", "5", "10"]
    assert bars[0].height == 0 and bars[0].title == "a: eins 0"
    small = charts.bar_chart(["a"], [[0.12]], title="T", description="D", series_names=["x"])
    assert [t.label for t in small["ticks"]][:3] == ["0", "0,05", "0,1"]  # German: decimal comma
    with translation.override("en"):
        small = charts.bar_chart(["a"], [[0.12]], title="T", description="D", series_names=["x"])
    assert [t.label for t in small["ticks"]][:3] == ["0", "0.05", "0.1"]


def test_minutes_are_formatted_in_german():
    chart = charts.bar_chart(["KW 10"], [[1.5]], title="T", description="D", series_names=["Minuten"])
    assert chart["bars"][0].title == "KW 10: Minuten 1,5"
    assert "0,5" in [t.label for t in chart["ticks"]]


def test_counts_have_whole_number_axes():
    """One conversation must not give an axis 0 – 0,5 – 1 ("half a conversation")."""
    for maximum in (1, 2, 3, 7):
        chart = charts.bar_chart(["a", "b"], [[maximum, 0], [1, 0]], title="T", description="D", series_names=["x", "y"], integer=True)
        labels = [t.label for t in chart["ticks"]]
        assert all(label.isdigit() for label in labels), labels
        assert labels[0] == "0" and int(labels[-1]) >= maximum
    fractional = charts.bar_chart(["a"], [[1]], title="T", description="D", series_names=["x"])
    assert "0,5" in [t.label for t in fractional["ticks"]]  # without integer=True, as before


# --------------------------------------------------------------------------- the view


def test_report_view_with_chart_and_totals(dept_a, dept_b, worker_a):
    conversation(dept_a, at(MONDAY, 9), answered_after=datetime.timedelta(minutes=10), closed_after=datetime.timedelta(hours=1), rating=5)
    conversation(dept_b, at(MONDAY, 9), answered_after=datetime.timedelta(minutes=99))
    response = client_for(worker_a).get(report_url(period_from="2026-03-01", period_to="2026-03-15"))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'role="img"' in content and "<title id=\"bc-chart-volume-title\">" in content
    assert "<desc id=\"bc-chart-volume-desc\">" in content
    assert "2026-W10" in content and "10 Min." in content
    assert "99 Min." not in content and "1 Std. 39 Min." not in content  # the other department's numbers
    assert 'class="bc-chart__bar bc-chart__bar--0"' in content
    assert "style=" not in content.split('<figure class="bc-chart">', 1)[1].split("</figure>", 1)[0]  # CSP: no inline styles


def test_volume_chart_axis_counts_whole_conversations(dept_a, worker_a):
    conversation(dept_a, at(MONDAY, 9), answered_after=datetime.timedelta(minutes=10))
    content = client_for(worker_a).get(report_url(period_from="2026-03-01", period_to="2026-03-15")).content.decode()
    volume = content.split('id="bc-chart-volume-title"', 1)[1].split("</svg>", 1)[0]
    ticks = re.findall(r'<text class="bc-chart__tick"[^>]*>([^<]*)</text>', volume)
    assert ticks and all(tick.isdigit() for tick in ticks), ticks


def test_office_hours_hint_only_while_none_are_configured(dept_a, worker_a):
    from buergerchat_wagtail.models import OfficeHours

    url = report_url(period_from="2026-03-01", period_to="2026-03-15")
    until = "bis Sprechzeiten eingerichtet sind"
    content = client_for(worker_a).get(url).content.decode()
    assert "Bis Sprechzeiten eingerichtet sind" in content
    dept_a.office_hours = OfficeHours.objects.create(name="Mo–Fr")
    dept_a.save()
    content = client_for(worker_a).get(url).content.decode()
    assert "Bis Sprechzeiten eingerichtet sind" not in content and until not in content
    assert "Zeiten außerhalb der Sprechzeiten werden noch nicht abgezogen" in content


def test_department_filter_cannot_reach_other_departments(dept_a, dept_b, worker_a, superuser):
    conversation(dept_b, at(MONDAY, 9), answered_after=datetime.timedelta(minutes=99))
    params = {"period_from": "2026-03-01", "period_to": "2026-03-08", "department": dept_b.pk}
    content = client_for(worker_a).get(report_url(**params)).content.decode()
    assert "1 Std. 39 Min." not in content
    export = client_for(worker_a).get(report_url(export="csv", **params))
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert rows[-1][2] == "0"  # total started: nothing from the other department
    admin = client_for(superuser).get(report_url(**params)).content.decode()
    assert "1 Std. 39 Min." in admin


def test_csv_and_xlsx_export(dept_a, worker_a):
    from openpyxl import load_workbook

    conversation(dept_a, at(MONDAY, 9), answered_after=datetime.timedelta(minutes=15), closed_after=datetime.timedelta(hours=2), rating=3)
    params = {"period_from": "2026-03-02", "period_to": "2026-03-15"}
    response = client_for(worker_a).get(report_url(export="csv", **params))
    assert response.status_code == 200
    assert 'filename="buergerchat-report-20260302-20260315.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 1 + 2 + 1  # heading, two weeks, total
    assert rows[1][:5] == ["2026-W10", "2026-03-02", "1", "1", "15.0"]
    assert rows[-1][2:4] == ["1", "1"] and rows[-1][8] == "3.0"
    xlsx = client_for(worker_a).get(report_url(export="xlsx", **params))
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    values = list(sheet.values)
    assert values[1][0] == "2026-W10" and values[1][2] == 1 and values[1][4] == 15.0
    assert len(values) == 4


def test_invalid_period_is_explained_and_replaced(dept_a, worker_a):
    content = client_for(worker_a).get(report_url(period_from="2026-03-10", period_to="2026-03-01")).content.decode()
    assert "Der Zeitraum darf nicht vor seinem Beginn enden." in content
    content = client_for(worker_a).get(report_url(period_from="2020-01-01", period_to="2026-03-01")).content.decode()
    assert "höchstens zwei Jahren" in content
    assert client_for(worker_a).get(report_url(period_from="kein Datum")).status_code == 200


def test_report_refused_without_department(dept_a, plain_user):
    from django.contrib.auth.models import Group, Permission

    refused = client_for(plain_user).get(report_url())
    assert refused.status_code == 302 and refused["Location"].startswith("/admin/login/")
    group = Group.objects.create(name="Redaktion")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    plain_user.groups.add(group)
    assert client_for(plain_user).get(report_url()).status_code == 403
    assert Client().get(report_url()).status_code == 302


@pytest.mark.parametrize("export", [None, "csv", "xlsx"])
def test_report_queries_do_not_grow_with_conversations(export, dept_a, dept_b, worker_a, superuser, django_assert_max_num_queries):
    client = client_for(superuser)
    url = report_url(**({"export": export} if export else {}))
    client.get(url)
    make_conversations(dept_a, 10, author=worker_a)
    with_10 = count_queries(client, url)
    make_conversations(dept_b, 190, author=worker_a)
    assert Conversation.objects.count() == 200
    assert count_queries(client, url) == with_10
    with django_assert_max_num_queries(20):
        client.get(url)
