"""Tags, saved inbox views and bulk actions in the admin: the inbox filters by tag,
views are personal or shared with a department, and every bulk action checks each
selected conversation on its own (a conversation of another department in the
selection is refused, counted, never named, and not changed) and is audited."""

import pytest
from django.test import Client
from django.urls import reverse
from wagtail.models import ModelLogEntry

from buergerchat_wagtail.casework import workflow
from buergerchat_wagtail.conversations import audit
from buergerchat_wagtail.models import Conversation, ConversationStatus, ConversationTag, SavedInboxView

pytestmark = pytest.mark.django_db

XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def bulk_url(action, *conversations, next_url="/admin/buergerchat/"):
    ids = "&".join(f"id={c.pk}" for c in conversations)
    return reverse("wagtail_bulk_action", args=["buergerchat", "conversation", action]) + f"?{ids}&next={next_url}"


@pytest.fixture
def tags(dept_a, dept_b):
    return {
        "bau": ConversationTag.objects.create(department=dept_a, name="Bauantrag", colour="blue"),
        "rueckruf": ConversationTag.objects.create(department=dept_a, name="Rückruf nötig", colour="red"),
        "melde": ConversationTag.objects.create(department=dept_b, name="Meldewesen"),
    }


@pytest.fixture
def three(dept_a, dept_b, start_conversation):
    """Two conversations of the Bauverwaltung (A), one of the Bürgerbüro (B)."""
    a1, _ = start_conversation(dept_a, text="Gartenhaus genehmigen")
    a2, _ = start_conversation(dept_a, text="Carport an der Grenze")
    b1, _ = start_conversation(dept_b, text="Personalausweis verloren")
    return a1, a2, b1


def audit_count(conversation, action):
    return ModelLogEntry.objects.filter(object_id=str(conversation.pk), action=action).count()


# --------------------------------------------------------------------------- tags in the inbox


def test_the_inbox_shows_tags_and_filters_by_them(worker_a, tags, three):
    a1, a2, _ = three
    workflow.change_tags(a1, worker_a, add=[tags["bau"].pk])
    client = client_for(worker_a)
    page = client.get(reverse("buergerchat_inbox:index")).content.decode()
    assert 'class="bc-tag bc-tag--blue">Bauantrag<' in page
    assert "Meldewesen" not in page  # another department's tag is not offered
    results = client.get(reverse("buergerchat_inbox:index_results") + f"?tag={tags['bau'].pk}", **XHR).content.decode()
    assert "Gartenhaus genehmigen" in results and "Carport an der Grenze" not in results
    # Any of several tags.
    workflow.change_tags(a2, worker_a, add=[tags["rueckruf"].pk])
    results = client.get(
        reverse("buergerchat_inbox:index_results") + f"?tag={tags['bau'].pk}&tag={tags['rueckruf'].pk}", **XHR
    ).content.decode()
    assert "Gartenhaus genehmigen" in results and "Carport an der Grenze" in results
    # A tag of another department is not a valid choice: the filter is refused, nothing leaks.
    results = client.get(reverse("buergerchat_inbox:index_results") + f"?tag={tags['melde'].pk}", **XHR).content.decode()
    assert "Personalausweis" not in results


def test_editors_keep_the_tag_list_as_a_snippet(superuser, dept_a):
    client = client_for(superuser)
    url = reverse("wagtailsnippets_buergerchat_conversationtag:add")
    response = client.post(url, {"department": dept_a.pk, "name": "Bauantrag", "colour": "green"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ConversationTag.objects.get().colour == "green"
    response = client.post(url, {"department": dept_a.pk, "name": "Bau\r\nX-EVIL:1", "colour": ""})
    assert response.status_code == 200 and ConversationTag.objects.count() == 1
    response = client.post(url, {"department": dept_a.pk, "name": "Bauantrag", "colour": ""})
    assert response.status_code == 200 and ConversationTag.objects.count() == 1
    listing = client.get(reverse("wagtailsnippets_buergerchat_conversationtag:list")).content.decode()
    assert "bc-tag--green" in listing


# --------------------------------------------------------------------------- saved views


def test_a_view_is_saved_personal_or_shared_with_a_department(worker_a, tags, three, group_a, django_user_model):
    colleague = django_user_model.objects.create_user("kollegin", password="x")
    colleague.groups.add(group_a)
    client = client_for(worker_a)
    save = reverse("buergerchat_inbox:save_view")
    query = f"tag={tags['bau'].pk}&status=new&evil=1&view=3"
    assert client.post(save, {"name": "Bauanträge", "query": query}).status_code == 302
    assert client.post(save, {"name": "Neu im Amt", "query": "status=new", "shared_with": group_a.buergerchat_departments.get().pk}).status_code == 302
    personal, shared = SavedInboxView.objects.order_by("name")
    assert personal.query == f"status=new&tag={tags['bau'].pk}"  # only the inbox's parameters, in one order
    assert personal.shared_with is None and shared.shared_with is not None

    mine = client.get(reverse("buergerchat_inbox:index") + f"?status=new&tag={tags['bau'].pk}").content.decode()
    assert "Bauanträge" in mine and "Neu im Amt" in mine
    assert 'aria-current="page"' in mine  # the open view is marked
    theirs = client_for(colleague).get(reverse("buergerchat_inbox:index")).content.decode()
    assert "Neu im Amt" in theirs and "Bauanträge" not in theirs
    # Only the owner deletes, also a shared view.
    assert client_for(colleague).post(reverse("buergerchat_inbox:delete_view", args=[shared.pk])).status_code == 404
    assert client.post(reverse("buergerchat_inbox:delete_view", args=[shared.pk])).status_code == 302
    assert not SavedInboxView.objects.filter(pk=shared.pk).exists()


def test_a_view_cannot_be_shared_with_a_department_one_does_not_belong_to(worker_a, worker_b, dept_b):
    worker_b_views = client_for(worker_b)
    client_for(worker_a).post(reverse("buergerchat_inbox:save_view"), {"name": "Fremd", "query": "", "shared_with": dept_b.pk})
    assert not SavedInboxView.objects.exists()
    assert "Fremd" not in worker_b_views.get(reverse("buergerchat_inbox:index")).content.decode()


def test_view_names_refuse_control_characters(worker_a):
    client_for(worker_a).post(reverse("buergerchat_inbox:save_view"), {"name": "A\r\nB", "query": ""})
    assert not SavedInboxView.objects.exists()


# --------------------------------------------------------------------------- bulk actions


def test_bulk_close_refuses_a_conversation_of_another_department_and_leaves_it_unchanged(worker_a, three):
    a1, a2, b1 = three
    client = client_for(worker_a)
    confirm = client.get(bulk_url("close", a1, a2, b1))
    assert confirm.status_code == 200
    page = confirm.content.decode()
    assert "Gartenhaus genehmigen" in page and "Carport an der Grenze" in page
    assert "Personalausweis" not in page and b1.reference not in page  # counted, never named
    assert "bc-bulk__refused" in page
    response = client.post(bulk_url("close", a1, a2, b1))
    assert response.status_code == 302 and response["Location"] == "/admin/buergerchat/"
    statuses = dict(Conversation.objects.values_list("pk", "status"))
    assert statuses[a1.pk] == statuses[a2.pk] == ConversationStatus.CLOSED
    assert statuses[b1.pk] == ConversationStatus.NEW
    assert audit_count(a1, audit.CLOSE) == audit_count(a2, audit.CLOSE) == 1
    assert audit_count(b1, audit.CLOSE) == 0
    shown = [str(m) for m in response.wsgi_request._messages]
    assert any("2" in m for m in shown) and any("1" in m for m in shown)


def test_bulk_assign_and_transfer_check_each_conversation(worker_a, worker_b, dept_b, three):
    a1, a2, b1 = three
    client = client_for(worker_a)
    client.post(bulk_url("assign", a1, b1), {"assignee": "me"})
    assert Conversation.objects.get(pk=a1.pk).assignee_id == worker_a.pk
    assert Conversation.objects.get(pk=b1.pk).assignee_id is None
    assert audit_count(a1, audit.ASSIGN) == 1 and audit_count(b1, audit.ASSIGN) == 0

    # A transfer needs a reason; then each of one's own conversations moves.
    response = client.post(bulk_url("transfer", a2, b1), {"department": dept_b.pk, "reason": ""})
    assert response.status_code == 200 and Conversation.objects.get(pk=a2.pk).department_id != dept_b.pk
    client.post(bulk_url("transfer", a2, b1), {"department": dept_b.pk, "reason": "Meldewesen"})
    assert Conversation.objects.get(pk=a2.pk).department_id == dept_b.pk
    assert audit_count(a2, audit.TRANSFER) == 1 and audit_count(b1, audit.TRANSFER) == 0


def test_bulk_tag_uses_only_each_conversations_department_tags(worker_a, superuser, tags, three):
    a1, a2, b1 = three
    client_for(worker_a).post(bulk_url("tag", a1, a2, b1), {"add": [tags["bau"].pk]})
    assert [list(c.tags.values_list("name", flat=True)) for c in (a1, a2, b1)] == [["Bauantrag"], ["Bauantrag"], []]
    assert audit_count(a1, audit.TAG) == audit_count(a2, audit.TAG) == 1 and audit_count(b1, audit.TAG) == 0
    # A tag of another department is not even a choice for worker A.
    response = client_for(worker_a).post(bulk_url("tag", a1), {"add": [tags["melde"].pk]})
    assert response.status_code == 200 and not a1.tags.filter(pk=tags["melde"].pk).exists()
    # Someone of both departments tags each conversation with its own department's tags only.
    client_for(superuser).post(bulk_url("tag", a1, b1), {"add": [tags["rueckruf"].pk, tags["melde"].pk], "remove": [tags["bau"].pk]})
    assert list(a1.tags.values_list("name", flat=True)) == ["Rückruf nötig"]
    assert list(b1.tags.values_list("name", flat=True)) == ["Meldewesen"]


def test_bulk_actions_are_refused_to_users_without_a_department(plain_user, three):
    a1, _, _ = three
    client = client_for(plain_user)
    assert client.post(bulk_url("close", a1)).status_code in (302, 403)
    assert Conversation.objects.get(pk=a1.pk).status == ConversationStatus.NEW


# --------------------------------------------------------------------------- one conversation's tags


def test_the_conversation_page_tags_through_the_same_command(worker_a, worker_b, tags, three):
    a1, _, _ = three
    client = client_for(worker_a)
    url = reverse("buergerchat_inbox:tags", args=[a1.pk])
    page = client.get(reverse("buergerchat_inbox:conversation", args=[a1.pk])).content.decode()
    assert 'data-bc-action="tags"' in page and "Rückruf nötig" in page and "Meldewesen" not in page
    assert client.post(url, {"tags": [tags["bau"].pk, tags["rueckruf"].pk]}).status_code == 302
    assert set(a1.tags.values_list("name", flat=True)) == {"Bauantrag", "Rückruf nötig"}
    # Unticked is removed; the JSON answer is the socket's "done" frame.
    answer = client.post(url, {"tags": [tags["bau"].pk]}, HTTP_ACCEPT="application/json").json()
    assert answer["type"] == "done" and answer["action"] == "tags"
    assert list(a1.tags.values_list("name", flat=True)) == ["Bauantrag"]
    assert audit_count(a1, audit.TAG) == 2
    # Another department's tag is not a choice; another department's staff is refused.
    assert client.post(url, {"tags": [tags["melde"].pk]}).status_code == 400
    assert client_for(worker_b).post(url, {"tags": []}).status_code == 403
    assert list(a1.tags.values_list("name", flat=True)) == ["Bauantrag"]


def test_bulk_ids_that_are_not_plain_numbers_are_ignored(worker_a, three):
    a1, _, _ = three
    url = reverse("wagtail_bulk_action", args=["buergerchat", "conversation", "close"])
    response = client_for(worker_a).get(url + f"?id={a1.pk}&id=²&id=x&id=-1&id=99999999999999999999")
    assert response.status_code == 200 and "Gartenhaus genehmigen" in response.content.decode()
