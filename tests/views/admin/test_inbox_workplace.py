"""The inbox as a workplace: filters, unread counts, the menu badge, the dashboard
panel, "next conversation", and a number of queries that does not grow with the
number of conversations."""

import datetime
import uuid
from functools import partial

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from buergerchat_wagtail.casework import workflow
from buergerchat_wagtail.conversations import services
from buergerchat_wagtail.models import Conversation, SenderType
from tests.factories import count_queries, make_conversations

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def inbox(client, **params):
    response = client.get(reverse("buergerchat_inbox:index"), params)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def three(dept_a, worker_a, start_conversation):
    """New (waiting), taken by worker_a and answered, closed."""
    waiting, _ = start_conversation(dept_a, text="Wartet noch")
    taken, _ = start_conversation(dept_a, text="Übernommen")
    workflow.take(taken, worker_a)
    services.post_message(conversation=taken, sender=SenderType.STAFF, body="Antwort", client_id=uuid.uuid4(), author=worker_a)
    closed, _ = start_conversation(dept_a, text="Erledigt")
    workflow.set_status(closed, worker_a, "closed")
    return waiting, taken, closed


# --------------------------------------------------------------------------- filters and search


def test_filter_by_status_assignee_and_waiting(three, worker_a):
    client = client_for(worker_a)
    assert "Erledigt" in inbox(client, status="closed") and "Wartet noch" not in inbox(client, status="closed")
    mine = inbox(client, assignee="me")
    assert "Übernommen" in mine and "Wartet noch" not in mine
    nobody = inbox(client, assignee="none")
    assert "Wartet noch" in nobody and "Übernommen" not in nobody
    waiting = inbox(client, waiting="true")
    assert "Wartet noch" in waiting and "Übernommen" not in waiting and "Erledigt" not in waiting


def test_assignee_filter_offers_only_colleagues(three, worker_a, worker_b, group_a):
    from django.contrib.auth import get_user_model

    colleague = get_user_model().objects.create_user(username="klara", first_name="Klara", last_name="Kollegin")
    colleague.groups.add(group_a)
    content = inbox(client_for(worker_a))
    assert f'<option value="{colleague.pk}">Klara Kollegin</option>' in content
    assert "Bernd Bürger" not in content  # worker_b, another department
    workflow.assign(three[0], worker_a, colleague.pk)
    theirs = inbox(client_for(worker_a), assignee=str(colleague.pk))
    assert "Wartet noch" in theirs and "Übernommen" not in theirs


def test_search_subject_and_reference(three, worker_a):
    waiting = three[0]
    client = client_for(worker_a)
    assert "Wartet noch" in inbox(client, q=waiting.reference) and "Erledigt" not in inbox(client, q=waiting.reference)
    assert "Erledigt" in inbox(client, q="erledigt")


def test_unread_counts_are_per_user(three, worker_a, superuser):
    waiting = three[0]
    services.post_message(conversation=waiting, sender=SenderType.CITIZEN, body="Hallo?", client_id=uuid.uuid4())
    a, admin = client_for(worker_a), client_for(superuser)
    assert 'data-bc-unread="2"' in inbox(a)
    a.get(reverse("buergerchat_inbox:conversation", args=[waiting.pk]))  # worker_a reads it
    assert 'data-bc-unread="2"' not in inbox(a)
    assert 'data-bc-unread="2"' in inbox(admin)  # the superuser has not
    services.post_message(conversation=waiting, sender=SenderType.CITIZEN, body="Noch da?", client_id=uuid.uuid4())
    assert 'data-bc-unread="1"' in inbox(a)
    # Own messages and system events never count as unread.
    services.post_message(conversation=waiting, sender=SenderType.STAFF, body="Ja", client_id=uuid.uuid4(), author=worker_a)
    workflow.take(waiting, worker_a)
    assert 'data-bc-unread="1"' in inbox(a)


# --------------------------------------------------------------------------- badge, panel, next


def test_menu_badge_counts_waiting_citizens_of_own_departments(three, dept_b, worker_a, worker_b, start_conversation):
    start_conversation(dept_b, text="Für das Bürgerbüro")
    page = client_for(worker_a).get("/admin/").content.decode()
    assert '"data-bc-waiting": "1"' in page  # only "Wartet noch"; answered and closed do not wait
    assert "1 Bürger wartet" in page
    other = client_for(worker_b).get("/admin/").content.decode()
    assert '"data-bc-waiting": "1"' in other


def test_menu_has_no_badge_when_nobody_waits(dept_a, worker_a):
    assert '"data-bc-waiting"' not in client_for(worker_a).get("/admin/").content.decode()


def test_dashboard_panel_per_department(three, dept_a, dept_b, superuser, worker_b, plain_user, start_conversation):
    for _ in range(2):
        start_conversation(dept_b)
    page = client_for(superuser).get("/admin/").content.decode()
    assert 'id="buergerchat-waiting' in page
    assert f'data-bc-waiting-department="{dept_a.pk}"' in page and f'data-bc-waiting-department="{dept_b.pk}"' in page
    assert "1 Bürger wartet" in page and "2 Bürger warten" in page  # German, the demo language
    assert f"?department={dept_b.pk}&amp;waiting=true" in page
    only_b = client_for(worker_b).get("/admin/").content.decode()
    assert f'data-bc-waiting-department="{dept_a.pk}"' not in only_b


def test_dashboard_panel_hidden_for_users_without_department(dept_a, plain_user, start_conversation):
    from django.contrib.auth.models import Group, Permission

    group = Group.objects.create(name="Redaktion")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    plain_user.groups.add(group)
    start_conversation(dept_a)
    page = client_for(plain_user).get("/admin/").content.decode()
    assert "buergerchat-waiting" not in page and '"data-bc-waiting"' not in page


def test_next_conversation_oldest_waiting_first_and_not_taken_by_others(dept_a, worker_a, superuser, start_conversation):
    older, _ = start_conversation(dept_a, text="Älter")
    newer, _ = start_conversation(dept_a, text="Neuer")
    taken, _ = start_conversation(dept_a, text="Von Ada übernommen")
    Conversation.objects.filter(pk=older.pk).update(waiting_since=timezone.now() - datetime.timedelta(hours=3))
    Conversation.objects.filter(pk=taken.pk).update(waiting_since=timezone.now() - datetime.timedelta(hours=5))
    workflow.take(taken, superuser)
    client = client_for(worker_a)
    url = reverse("buergerchat_inbox:next")
    conversation_url = lambda c: reverse("buergerchat_inbox:conversation", args=[c.pk])  # noqa: E731
    assert client.get(url)["Location"] == conversation_url(older)
    assert client.get(url, {"after": older.pk})["Location"] == conversation_url(newer)
    assert client.get(url, {"after": newer.pk})["Location"] == conversation_url(older)  # wraps around
    assert client.get(url, {"after": "x"})["Location"] == conversation_url(older)
    Conversation.objects.update(waiting_since=None)
    response = client.get(url)
    assert response["Location"] == reverse("buergerchat_inbox:index")


# --------------------------------------------------------------------------- queries do not grow


#: An upper bound for one inbox page, so the count stays small, not merely constant.
#: (Tags, saved views: one query each for the page's tags, the tag filter's choices,
#: the saved views and the save form's departments.)
INBOX_MAX_QUERIES = 24


@pytest.mark.parametrize("url_name", ["buergerchat_inbox:index", "buergerchat_inbox:index_results"])
def test_inbox_queries_do_not_grow_with_conversations(url_name, dept_a, worker_a, django_assert_max_num_queries):
    client = client_for(worker_a)
    url = reverse(url_name)
    filtered = url + "?status=open&assignee=me&q=Anliegen"
    client.get(url)  # warm caches (content types, site)
    make_conversations(dept_a, 10, author=worker_a, assignee=worker_a)
    counts_10 = (count_queries(client, url), count_queries(client, filtered))
    make_conversations(dept_a, 190, author=worker_a, assignee=worker_a)
    assert Conversation.objects.count() == 200
    counts_200 = (count_queries(client, url), count_queries(client, filtered))
    assert counts_10 == counts_200, (counts_10, counts_200)
    with django_assert_max_num_queries(INBOX_MAX_QUERIES):
        client.get(url)


def test_dashboard_queries_do_not_grow(dept_a, dept_b, superuser, django_assert_max_num_queries):
    client = client_for(superuser)
    client.get("/admin/")
    make_conversations(dept_a, 10)
    with_10 = count_queries(client, "/admin/")
    make_conversations(dept_b, 190)
    assert count_queries(client, "/admin/") == with_10


def test_a_later_page_shows_its_own_rows_with_their_figures(dept_a, worker_a):
    """The per-row figures (last message, unread) are computed for the page's rows
    only (InboxPaginator); page 2 must still show the right rows with theirs."""
    from buergerchat_wagtail.views.admin.inbox import InboxPaginator, annotate_inbox_rows

    make_conversations(dept_a, 60, author=worker_a)
    ordered = Conversation.objects.order_by("-last_activity_at", "-pk")
    paginator = InboxPaginator(ordered, 50, annotate=partial(annotate_inbox_rows, user=worker_a))
    second = list(paginator.page(2).object_list)
    assert [c.pk for c in second] == [c.pk for c in ordered[50:60]]
    expected = {c.pk: c for c in annotate_inbox_rows(ordered, worker_a)}
    for row in second:
        assert (row.last_message_body, row.unread) == (expected[row.pk].last_message_body, expected[row.pk].unread)
    assert any(row.unread for row in second) and all(row.last_message_body for row in second)

    response = client_for(worker_a).get(reverse("buergerchat_inbox:index") + "?p=2")
    assert response.status_code == 200
    for row in second:
        assert row.subject in response.content.decode()
