"""The team board ("Leitung"): only for users with ``supervise_department`` in the
department's answering group (superusers: every department); the reassignment goes
through the staff command and its checks."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from wagtail.models import ModelLogEntry

from buergerchat_wagtail.availability import presence
from buergerchat_wagtail.models import AssignmentMode, Conversation

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def grant_supervise(user):
    user.user_permissions.add(Permission.objects.get(content_type__app_label="buergerchat", codename="supervise_department"))
    return get_user_model().objects.get(pk=user.pk)  # no cached permissions


@pytest.fixture
def supervisor(group_a):
    user = get_user_model().objects.create_user(username="leitung", password="pw", first_name="Lena", last_name="Leitner")
    user.groups.add(group_a)
    return grant_supervise(user)


def board_url(department):
    return reverse("buergerchat_board:department", args=[department.pk])


def test_supervisor_sees_the_board_of_their_department(supervisor, dept_a, worker_a, start_conversation):
    dept_a.assignment_mode = AssignmentMode.AUTOMATIC
    dept_a.save()
    presence.register("channel-worker", worker_a)
    conversation, _ = start_conversation(dept_a)
    response = client_for(supervisor).get(board_url(dept_a))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Berta Baumann" in html
    assert f'data-bc-board-member="{worker_a.pk}" data-present="1"' in html
    assert f'data-bc-board-longest="{conversation.pk}"' in html
    assert 'data-controller="bc-board"' in html
    assert "<script>" not in html.replace('<script type="module"', "")  # no inline scripts (CSP)
    fragment = client_for(supervisor).get(board_url(dept_a) + "?fragment=1")
    assert fragment.status_code == 200
    assert "data-bc-board-content" in fragment.content.decode()


def test_index_redirects_to_the_only_department_and_the_menu_shows_it(supervisor, dept_a, dept_b):
    client = client_for(supervisor)
    response = client.get(reverse("buergerchat_board:index"))
    assert response.status_code == 302
    assert response["Location"] == board_url(dept_a)
    assert reverse("buergerchat_board:index") in client.get(reverse("wagtailadmin_home")).content.decode()


def test_case_worker_without_the_permission_is_refused(worker_a, dept_a):
    client = client_for(worker_a)
    assert client.get(reverse("buergerchat_board:index")).status_code == 403
    assert client.get(board_url(dept_a)).status_code == 403
    assert reverse("buergerchat_board:index") not in client.get(reverse("wagtailadmin_home")).content.decode()


def test_permission_counts_only_for_the_supervisors_own_departments(supervisor, dept_a, dept_b):
    client = client_for(supervisor)
    assert client.get(board_url(dept_b)).status_code == 403
    assert client.get(reverse("buergerchat_board:department", args=[99999])).status_code == 403


def test_permission_without_membership_shows_nothing(dept_a, worker_b):
    outsider = grant_supervise(worker_b)  # supervises, but in the Bürgerbüro only
    assert client_for(outsider).get(board_url(dept_a)).status_code == 403


def test_superuser_sees_every_board(superuser, dept_a, dept_b):
    client = client_for(superuser)
    assert client.get(board_url(dept_a)).status_code == 200
    assert client.get(board_url(dept_b)).status_code == 200
    assert client.get(reverse("buergerchat_board:index")).status_code == 200  # two: a list


def test_anonymous_is_sent_to_the_login(dept_a):
    response = Client().get(board_url(dept_a))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_supervisor_reassigns_through_the_staff_command(supervisor, dept_a, worker_a, start_conversation):
    colleague = get_user_model().objects.create_user(username="kollege", password="pw", first_name="Kai", last_name="Koll")
    colleague.groups.add(dept_a.group)
    conversation, _ = start_conversation(dept_a)
    Conversation.objects.filter(pk=conversation.pk).update(assignee=worker_a)
    url = reverse("buergerchat_board:reassign", args=[dept_a.pk, conversation.pk])
    response = client_for(supervisor).post(url, {"assignee": colleague.pk})
    assert response.status_code == 302
    assert Conversation.objects.get(pk=conversation.pk).assignee_id == colleague.pk
    assert conversation.messages.filter(event="assigned", event_data__assignee_id=colleague.pk).exists()


def test_board_says_automatic_only_while_the_automatic_assignment_stands(
    supervisor, dept_a, worker_a, start_conversation
):
    from buergerchat_wagtail.casework import assignment

    dept_a.assignment_mode = AssignmentMode.AUTOMATIC
    dept_a.save()
    presence.register("channel-worker", worker_a)
    colleague = get_user_model().objects.create_user(username="kollege", password="pw", first_name="Kai", last_name="Koll")
    colleague.groups.add(dept_a.group)
    conversation, _ = start_conversation(dept_a)
    assignment.assign_new(conversation)
    assert Conversation.objects.get(pk=conversation.pk).assignee_id == worker_a.pk

    def assignee_cell():
        html = client_for(supervisor).get(board_url(dept_a) + "?fragment=1").content.decode()
        row = html.split(f'data-bc-board-conversation="{conversation.pk}"', 1)[1]
        return row.split("<td data-bc-board-assignee>", 1)[1].split("</td>", 1)[0]

    assert "w-status" in assignee_cell()  # "automatisch"
    url = reverse("buergerchat_board:reassign", args=[dept_a.pk, conversation.pk])
    client_for(supervisor).post(url, {"assignee": colleague.pk})
    cell = assignee_cell()
    assert "Kai Koll" in cell and "w-status" not in cell


def test_reassign_to_the_current_assignee_says_so_and_changes_nothing(supervisor, dept_a, worker_a, start_conversation):
    conversation, _ = start_conversation(dept_a)
    Conversation.objects.filter(pk=conversation.pk).update(assignee=worker_a)
    url = reverse("buergerchat_board:reassign", args=[dept_a.pk, conversation.pk])
    response = client_for(supervisor).post(url, {"assignee": worker_a.pk}, follow=True)
    html = response.content.decode()
    assert "ist dieser Person bereits zugewiesen" in html
    assert "wurde neu zugewiesen" not in html
    assert not conversation.messages.filter(event="assigned").exists()


def test_reassign_is_refused_without_supervision_or_across_departments(
    supervisor, dept_a, dept_b, worker_a, worker_b, start_conversation
):
    mine, _ = start_conversation(dept_a)
    theirs, _ = start_conversation(dept_b)
    # A case worker without the permission cannot use the board's action.
    url = reverse("buergerchat_board:reassign", args=[dept_a.pk, mine.pk])
    assert client_for(worker_a).post(url, {"assignee": worker_a.pk}).status_code == 403
    # The supervisor cannot reach another department's conversation through their board.
    url = reverse("buergerchat_board:reassign", args=[dept_a.pk, theirs.pk])
    assert client_for(supervisor).post(url, {"assignee": supervisor.pk}).status_code == 403
    url = reverse("buergerchat_board:reassign", args=[dept_b.pk, theirs.pk])
    assert client_for(supervisor).post(url, {"assignee": supervisor.pk}).status_code == 403
    assert Conversation.objects.get(pk=mine.pk).assignee_id is None
    assert Conversation.objects.get(pk=theirs.pk).assignee_id is None
    assert client_for(supervisor).get(url).status_code == 405


def test_reassign_to_someone_outside_the_department_is_an_error(supervisor, dept_a, worker_b, start_conversation):
    conversation, _ = start_conversation(dept_a)
    url = reverse("buergerchat_board:reassign", args=[dept_a.pk, conversation.pk])
    response = client_for(supervisor).post(url, {"assignee": worker_b.pk}, follow=True)
    assert response.status_code == 200
    assert Conversation.objects.get(pk=conversation.pk).assignee_id is None
    assert not ModelLogEntry.objects.filter(object_id=str(conversation.pk), action="buergerchat.auto_assign").exists()


def test_supervise_permission_is_offered_in_the_group_editor(superuser, group_a):
    html = client_for(superuser).get(reverse("wagtailusers_groups:edit", args=[group_a.pk])).content.decode()
    permission = Permission.objects.get(codename="supervise_department")
    assert f'value="{permission.pk}"' in html


def test_demo_supervisor_leads_the_bauverwaltung():
    from django.core.management import call_command

    from buergerchat_wagtail.models import Department

    call_command("load_demo")
    call_command("load_demo")  # idempotent
    leitung = get_user_model().objects.get(username="leitung")
    assert leitung.check_password("leitung")
    assert leitung.groups.filter(name="Leitung").count() == 1
    client = client_for(leitung)
    assert client.get(board_url(Department.objects.get(slug="bauverwaltung"))).status_code == 200
    assert client.get(board_url(Department.objects.get(slug="buergerbuero"))).status_code == 403
