"""The staff inbox in the Wagtail admin."""

import datetime
import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext

from buergerchat_wagtail.models import Conversation, Message, SenderType

pytestmark = pytest.mark.django_db

XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


def inbox_url():
    return reverse("buergerchat_inbox:index")


def results_url():
    return reverse("buergerchat_inbox:index_results")


def conversation_url(conversation):
    return reverse("buergerchat_inbox:conversation", args=[conversation.pk])


def messages_url(conversation):
    return reverse("buergerchat_inbox:messages", args=[conversation.pk])


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def assert_denied(response, secret_text=None):
    """A conversation of another department answers 403 and shows nothing of it."""
    assert response.status_code == 403, response.status_code
    if secret_text is not None:
        assert secret_text not in response.content.decode()


@pytest.fixture
def conversations(dept_a, dept_b, start_conversation):
    conv_a, _ = start_conversation(dept_a, text="Bauantrag Gartenhaus", name="Erika Mustermann")
    conv_b, _ = start_conversation(dept_b, text="Personalausweis verloren")
    return conv_a, conv_b


# --------------------------------------------------------------------------- inbox listing


def test_inbox_shows_only_own_department(conversations, worker_a, worker_b):
    content = client_for(worker_a).get(inbox_url()).content.decode()
    assert "Bauantrag Gartenhaus" in content
    assert "Personalausweis verloren" not in content

    content_b = client_for(worker_b).get(inbox_url()).content.decode()
    assert "Personalausweis verloren" in content_b
    assert "Bauantrag Gartenhaus" not in content_b


def test_inbox_results_view_is_filtered_too(conversations, worker_a):
    response = client_for(worker_a).get(results_url(), **XHR)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Bauantrag Gartenhaus" in content
    assert "Personalausweis verloren" not in content


def test_inbox_search_and_filter_do_not_cross_departments(conversations, worker_a, dept_b):
    client = client_for(worker_a)
    conv_b = conversations[1]
    for params in ({"q": "Personalausweis"}, {"q": conv_b.reference}, {"department": dept_b.pk}):
        response = client.get(inbox_url(), params)
        assert response.status_code == 200, params
        content = response.content.decode()
        assert "Personalausweis verloren" not in content, params
        assert conversation_url(conv_b) not in content, params


def test_inbox_shows_all_for_superuser(conversations, superuser):
    response = client_for(superuser).get(inbox_url())
    assert response.status_code == 200
    content = response.content.decode()
    assert "Bauantrag Gartenhaus" in content
    assert "Personalausweis verloren" in content


def test_inbox_links_to_conversations(conversations, worker_a):
    content = client_for(worker_a).get(inbox_url()).content.decode()
    assert conversation_url(conversations[0]) in content
    assert conversation_url(conversations[1]) not in content


def test_inbox_newest_activity_first(dept_a, worker_a, start_conversation):
    now = timezone.now()
    subjects = {"Alte Sache": 3, "Neueste Sache": 0, "Mittlere Sache": 1}
    for subject, hours_ago in subjects.items():
        conversation, _ = start_conversation(dept_a, text=subject)
        Conversation.objects.filter(pk=conversation.pk).update(
            last_activity_at=now - datetime.timedelta(hours=hours_ago)
        )
    content = client_for(worker_a).get(inbox_url()).content.decode()
    positions = [content.index(subject) for subject in ("Neueste Sache", "Mittlere Sache", "Alte Sache")]
    assert positions == sorted(positions)


def test_inbox_order_follows_new_messages(dept_a, worker_a, start_conversation):
    from buergerchat_wagtail.conversations import services

    first, _ = start_conversation(dept_a, text="Erstes Gespräch")
    second, _ = start_conversation(dept_a, text="Zweites Gespräch")
    Conversation.objects.filter(pk=first.pk).update(last_activity_at=timezone.now() - datetime.timedelta(days=1))
    first.refresh_from_db()
    services.post_message(conversation=first, sender=SenderType.CITIZEN, body="Nachtrag", client_id=uuid.uuid4())
    content = client_for(worker_a).get(inbox_url()).content.decode()
    assert content.index("Erstes Gespräch") < content.index("Zweites Gespräch")


def test_inbox_refused_for_non_staff(conversations, plain_user):
    response = client_for(plain_user).get(inbox_url())
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert "Bauantrag Gartenhaus" not in response.content.decode()


def test_inbox_refused_for_anonymous(conversations):
    response = Client().get(inbox_url())
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_inbox_refused_for_admin_user_without_department(conversations, plain_user):
    from django.contrib.auth.models import Group, Permission

    group = Group.objects.create(name="Redaktion")
    group.permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    plain_user.groups.add(group)
    response = client_for(plain_user).get(inbox_url())
    assert_denied(response, "Bauantrag Gartenhaus")


# --------------------------------------------------------------------------- conversation view


def test_conversation_of_other_department_is_denied(conversations, worker_a):
    conv_b = conversations[1]
    client = client_for(worker_a)
    assert_denied(client.get(conversation_url(conv_b)), "Personalausweis verloren")
    assert client.get(conversation_url(conv_b), **XHR).status_code == 403


def test_conversation_that_does_not_exist_is_403_like_a_foreign_one(conversations, worker_a):
    # Same answer as for another department's conversation: ids reveal nothing.
    response = client_for(worker_a).get(reverse("buergerchat_inbox:conversation", args=[987654]))
    assert response.status_code == 403


def test_own_conversation_shows_history_and_reply_box(conversations, worker_a):
    from buergerchat_wagtail.conversations import services

    conv_a = conversations[0]
    services.post_message(
        conversation=conv_a, sender=SenderType.STAFF, body="Wir prüfen das.", client_id=uuid.uuid4(), author=worker_a
    )
    response = client_for(worker_a).get(conversation_url(conv_a))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Bauantrag Gartenhaus" in content
    assert "Wir prüfen das." in content
    assert "Erika Mustermann" in content
    assert "Berta Baumann" in content
    assert conv_a.reference in content
    assert content.index("Bauantrag Gartenhaus</p>") < content.index("Wir prüfen das.")

    with translation.override("de"):
        label = gettext("Reply")
    assert label == "Antwort"
    textarea = re.search(r'<textarea[^>]*name="body"[^>]*id="([^"]+)"', content) or re.search(
        r'<textarea[^>]*id="([^"]+)"[^>]*name="body"', content
    )
    assert textarea, "no reply textarea"
    label_tag = re.search(r'<label[^>]*for="%s"[^>]*>(.*?)</label>' % re.escape(textarea.group(1)), content, re.S)
    assert label_tag, "the reply textarea has no label"
    assert label in label_tag.group(1)


def test_superuser_sees_every_conversation(conversations, superuser):
    client = client_for(superuser)
    for conversation in conversations:
        assert client.get(conversation_url(conversation)).status_code == 200


def test_post_reply_is_stored_and_redirects(conversations, worker_a):
    conv_a = conversations[0]
    url = conversation_url(conv_a)
    client_id = uuid.uuid4()
    response = client_for(worker_a).post(url, {"body": "  Bitte reichen Sie den Lageplan nach.\r\n ", "client_id": client_id})
    assert response.status_code == 302
    assert response["Location"] == url
    message = Message.objects.get(client_id=client_id)
    assert message.conversation == conv_a
    assert message.sender == SenderType.STAFF
    assert message.author == worker_a
    assert message.body == "Bitte reichen Sie den Lageplan nach."
    conv_a.refresh_from_db()
    assert conv_a.status == "open"
    assert conv_a.waiting_since is None


def test_post_reply_json(conversations, worker_a):
    conv_a = conversations[0]
    client_id = uuid.uuid4()
    client = client_for(worker_a)
    response = client.post(
        conversation_url(conv_a), {"body": "Antwort per JSON", "client_id": client_id}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 201
    data = response.json()
    assert data["type"] == "ack"
    assert data["conversation"] == conv_a.pk
    assert data["client_id"] == str(client_id)
    assert data["duplicate"] is False
    assert data["message"]["body"] == "Antwort per JSON"
    assert data["message"]["sender"] == "staff"
    assert data["message"]["author"] == "Berta Baumann"

    again = client.post(
        conversation_url(conv_a), {"body": "Antwort per JSON", "client_id": client_id}, HTTP_ACCEPT="application/json"
    )
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert again.json()["message"]["id"] == data["message"]["id"]
    assert Message.objects.filter(client_id=client_id).count() == 1


def test_repeated_form_post_stores_once(conversations, worker_a):
    conv_a = conversations[0]
    client = client_for(worker_a)
    client_id = uuid.uuid4()
    for _ in range(3):
        response = client.post(conversation_url(conv_a), {"body": "Doppelt?", "client_id": client_id})
        assert response.status_code == 302
    assert Message.objects.filter(conversation=conv_a, sender=SenderType.STAFF).count() == 1


@pytest.mark.parametrize("body", ["", "   \r\n  "])
def test_empty_reply_is_a_form_error(conversations, worker_a, body):
    conv_a = conversations[0]
    response = client_for(worker_a).post(conversation_url(conv_a), {"body": body, "client_id": uuid.uuid4()})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "body" in errors
    assert escape(errors["body"][0]) in response.content.decode()
    assert not Message.objects.filter(sender=SenderType.STAFF).exists()


def test_empty_reply_json_is_400(conversations, worker_a):
    conv_a = conversations[0]
    response = client_for(worker_a).post(
        conversation_url(conv_a), {"body": "   ", "client_id": uuid.uuid4()}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 400
    data = response.json()
    assert data["type"] == "error"
    assert data["code"] == "message_empty"
    assert not Message.objects.filter(sender=SenderType.STAFF).exists()


def test_too_long_reply_is_refused(conversations, worker_a):
    conv_a = conversations[0]
    response = client_for(worker_a).post(
        conversation_url(conv_a), {"body": "x" * 4001, "client_id": uuid.uuid4()}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "message_too_long"
    assert not Message.objects.filter(sender=SenderType.STAFF).exists()


def test_reply_to_other_department_is_refused(conversations, worker_a):
    conv_b = conversations[1]
    client = client_for(worker_a)
    response = client.post(conversation_url(conv_b), {"body": "Übergriff", "client_id": uuid.uuid4()})
    assert_denied(response)
    response = client.post(
        conversation_url(conv_b), {"body": "Übergriff", "client_id": uuid.uuid4()}, HTTP_ACCEPT="application/json", **XHR
    )
    assert response.status_code == 403
    assert not Message.objects.filter(sender=SenderType.STAFF).exists()


# --------------------------------------------------------------------------- messages JSON


def test_messages_endpoint_after(conversations, worker_a):
    from buergerchat_wagtail.conversations import services

    conv_a = conversations[0]
    first_id = conv_a.messages.get().pk
    for text in ("zwei", "drei"):
        services.post_message(conversation=conv_a, sender=SenderType.CITIZEN, body=text, client_id=uuid.uuid4())
    client = client_for(worker_a)

    data = client.get(messages_url(conv_a)).json()
    assert data["type"] == "messages"
    assert data["conversation"] == conv_a.pk
    assert [m["body"] for m in data["messages"]] == ["Bauantrag Gartenhaus", "zwei", "drei"]

    data = client.get(messages_url(conv_a), {"after": first_id}).json()
    assert [m["body"] for m in data["messages"]] == ["zwei", "drei"]
    assert data["messages"][0]["author"] == "Erika Mustermann"

    response = client.get(messages_url(conv_a), {"after": "abc"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"


def test_messages_endpoint_denied_for_other_department(conversations, worker_a):
    conv_b = conversations[1]
    client = client_for(worker_a)
    assert_denied(client.get(messages_url(conv_b)), "Personalausweis verloren")
    response = client.get(messages_url(conv_b), {"after": 0}, **XHR)
    assert response.status_code == 403
    assert "Personalausweis verloren" not in response.content.decode()


def test_messages_endpoint_for_non_staff(conversations, plain_user):
    response = client_for(plain_user).get(messages_url(conversations[0]))
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert "Bauantrag" not in response.content.decode()


# --------------------------------------------------------------------------- escaping


def test_subject_and_body_are_escaped(dept_a, worker_a, start_conversation):
    from buergerchat_wagtail.conversations import services

    conversation, _ = start_conversation(dept_a, text=XSS, name="<b>Mallory</b>")
    services.post_message(
        conversation=conversation, sender=SenderType.CITIZEN, body=f"Noch einmal {XSS}", client_id=uuid.uuid4()
    )
    assert conversation.subject == XSS
    client = client_for(worker_a)
    for url in (inbox_url(), conversation_url(conversation)):
        content = client.get(url).content.decode()
        assert XSS not in content, url
        assert XSS_ESCAPED in content, url
        assert "<b>Mallory</b>" not in content, url
    content = client.get(conversation_url(conversation)).content.decode()
    assert f"Noch einmal {XSS_ESCAPED}" in content


@pytest.mark.parametrize(
    ("data", "code", "field"),
    [
        pytest.param({"body": ""}, "message_empty", "body", id="empty"),
        pytest.param({"body": "Hallo", "client_id": "kein-uuid"}, "invalid_frame", "client_id", id="bad-client-id"),
        pytest.param({"body": "Hallo", "client_id": ""}, "invalid_frame", "client_id", id="no-client-id"),
    ],
)
def test_invalid_reply_json_error_codes(conversations, worker_a, data, code, field):
    data = {"client_id": str(uuid.uuid4()), **data}
    response = client_for(worker_a).post(
        conversation_url(conversations[0]), data, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 400
    frame = response.json()
    assert frame["type"] == "error"
    assert frame["code"] == code
    assert frame["field"] == field
    assert frame["detail"]
    assert not Message.objects.filter(sender=SenderType.STAFF).exists()
