"""The report per assignee: conversations held, how many the automatic assignment gave,
answered, and the median first response -- computed in the same one query."""

import datetime
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from buergerchat_wagtail.models import Conversation, ConversationStatus
from buergerchat_wagtail.models.conversations import hash_secret
from buergerchat_wagtail.reports import figures as reporting
from buergerchat_wagtail.reports.business_time import BERLIN

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 3, 2)


def at(hour, minute=0, day=MONDAY):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=BERLIN)


def conversation(department, created, assignee=None, *, auto=False, answered_after=None):
    return Conversation.objects.create(
        department=department,
        subject="Anliegen",
        secret_hash=hash_secret(str(uuid.uuid4())),
        created_at=created,
        last_activity_at=created,
        assignee=assignee,
        auto_assigned_at=created if auto else None,
        first_response_at=created + answered_after if answered_after is not None else None,
        status=ConversationStatus.OPEN,
    )


@pytest.fixture
def colleague(group_a):
    user = get_user_model().objects.create_user(username="zweite", password="pw", first_name="Zora", last_name="Zweig")
    user.groups.add(group_a)
    return user


def test_figures_per_assignee(dept_a, worker_a, colleague):
    minutes = datetime.timedelta(minutes=1)
    conversation(dept_a, at(9), worker_a, auto=True, answered_after=4 * minutes)
    conversation(dept_a, at(10), worker_a, auto=True, answered_after=6 * minutes)
    conversation(dept_a, at(11), worker_a)  # taken by hand, not answered yet
    conversation(dept_a, at(12), colleague, auto=True, answered_after=20 * minutes)
    conversation(dept_a, at(13))  # nobody's
    report = reporting.build(
        Conversation.objects.all(), {dept_a.pk: dept_a}, MONDAY, MONDAY + datetime.timedelta(days=6),
        name_of=lambda user: user.get_full_name(),
    )
    assert report.total.started == 5
    assert report.total.auto_assigned == 3
    rows = {f.label: f for f in report.assignees}
    assert list(rows) == ["Berta Baumann", "Zora Zweig"]
    assert (rows["Berta Baumann"].started, rows["Berta Baumann"].auto_assigned, rows["Berta Baumann"].answered) == (3, 2, 2)
    assert rows["Berta Baumann"].first_response_median == 5 * 60
    assert (rows["Zora Zweig"].started, rows["Zora Zweig"].auto_assigned) == (1, 1)
    assert rows["Zora Zweig"].first_response_median == 20 * 60


def test_report_page_shows_the_table_and_the_export_the_count(dept_a, worker_a, superuser):
    today = datetime.datetime.now(BERLIN).replace(hour=9, minute=0, second=0, microsecond=0)
    conversation(dept_a, today, worker_a, auto=True, answered_after=datetime.timedelta(minutes=3))
    client = Client()
    client.force_login(superuser)
    html = client.get(reverse("buergerchat_report:index")).content.decode()
    assert "Je zuständiger Person" in html or "Per assignee" in html
    assert "Berta Baumann" in html
    assert "3 min" in html or "3 Min" in html
    response = client.get(reverse("buergerchat_report:index") + "?export=csv")
    csv = b"".join(response.streaming_content).decode()
    header = csv.splitlines()[0]
    assert "Automatisch zugewiesen" in header or "Assigned automatically" in header
