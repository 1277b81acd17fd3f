"""Who may see and answer which conversation: ConversationPermissionPolicy, and the
access matrix of every HTTP URL and socket against every kind of actor."""

import json
import uuid
from dataclasses import dataclass, field

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from buergerchat_wagtail.conversations import services
from buergerchat_wagtail.conversations.permissions import (
    STAFF_ACTIONS,
    ConversationPermissionPolicy,
    fresh_user_permissions,
)
from buergerchat_wagtail.conversations.permissions import conversation_permission_policy as policy
from buergerchat_wagtail.files import attachments as attachment_domain
from buergerchat_wagtail.files import transcripts
from buergerchat_wagtail.models import Attachment, Conversation, ScanStatus, SenderType, TranscriptKind
from tests.conftest import CITIZEN_PATH, STAFF_PATH, receive
from tests.files import pdf_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversations(dept_a, dept_b, start_conversation):
    conv_a, _ = start_conversation(dept_a, text="A")
    conv_b, _ = start_conversation(dept_b, text="B")
    return conv_a, conv_b


def reload(user):
    """A fresh instance, as a new request would have (no permission cache)."""
    return get_user_model().objects.get(pk=user.pk)


def deactivate(user):
    user.is_active = False
    user.save()
    return reload(user)


# --------------------------------------------------------------------------- department ids


def test_department_ids_superuser(superuser, dept_a, dept_b):
    assert policy.department_ids_for_user(superuser) == {dept_a.pk, dept_b.pk}


def test_department_ids_case_workers(worker_a, worker_b, dept_a, dept_b):
    assert policy.department_ids_for_user(worker_a) == {dept_a.pk}
    assert policy.department_ids_for_user(worker_b) == {dept_b.pk}


def test_department_ids_member_of_both(worker_a, group_b, dept_a, dept_b):
    worker_a.groups.add(group_b)
    assert policy.department_ids_for_user(reload(worker_a)) == {dept_a.pk, dept_b.pk}


def test_department_ids_include_inactive_departments(worker_a, dept_a):
    # An inactive department takes no new conversations, but its staff still
    # answer the existing ones.
    dept_a.is_active = False
    dept_a.save()
    assert policy.department_ids_for_user(reload(worker_a)) == {dept_a.pk}


def test_department_ids_plain_and_anonymous(plain_user, departments):
    assert policy.department_ids_for_user(plain_user) == frozenset()
    assert policy.department_ids_for_user(AnonymousUser()) == frozenset()


def test_department_ids_inactive_users(superuser, worker_a, departments):
    assert policy.department_ids_for_user(deactivate(worker_a)) == frozenset()
    assert policy.department_ids_for_user(deactivate(superuser)) == frozenset()


def test_department_ids_are_cached_until_refreshed(worker_a, group_a, group_b, dept_a, dept_b):
    user = reload(worker_a)
    assert policy.department_ids_for_user(user) == {dept_a.pk}
    user.groups.add(group_b)
    user.groups.remove(group_a)
    assert policy.department_ids_for_user(user) == {dept_a.pk}  # cached for this request
    fresh_user_permissions(user)
    assert policy.department_ids_for_user(user) == {dept_b.pk}
    assert hasattr(user, ConversationPermissionPolicy.permission_cache_name)


def test_departments_for_user(worker_a, superuser, plain_user, dept_a, dept_b):
    assert list(policy.departments_for_user(worker_a)) == [dept_a]
    assert set(policy.departments_for_user(superuser)) == {dept_a, dept_b}
    assert not policy.departments_for_user(plain_user).exists()


# --------------------------------------------------------------------------- model-level permission


@pytest.mark.parametrize("action", STAFF_ACTIONS)
def test_user_has_permission(action, superuser, worker_a, worker_b, plain_user):
    assert policy.user_has_permission(superuser, action)
    assert policy.user_has_permission(worker_a, action)
    assert policy.user_has_permission(worker_b, action)
    assert not policy.user_has_permission(plain_user, action)
    assert not policy.user_has_permission(AnonymousUser(), action)


def test_user_has_permission_unknown_action(superuser, worker_a):
    for action in ("delete", "change", "add", "publish", ""):
        assert not policy.user_has_permission(superuser, action)
        assert not policy.user_has_permission(worker_a, action)


def test_user_has_permission_inactive(superuser, worker_a):
    assert not policy.user_has_permission(deactivate(worker_a), "view")
    assert not policy.user_has_permission(deactivate(superuser), "view")


# --------------------------------------------------------------------------- instances


@pytest.mark.parametrize("action", STAFF_ACTIONS)
def test_instances_per_user_kind(action, conversations, superuser, worker_a, worker_b, plain_user):
    conv_a, conv_b = conversations
    assert set(policy.instances_user_has_permission_for(superuser, action)) == {conv_a, conv_b}
    assert list(policy.instances_user_has_permission_for(worker_a, action)) == [conv_a]
    assert list(policy.instances_user_has_permission_for(worker_b, action)) == [conv_b]
    assert not policy.instances_user_has_permission_for(plain_user, action).exists()
    assert not policy.instances_user_has_permission_for(AnonymousUser(), action).exists()


def test_instances_unknown_action(conversations, superuser, worker_a):
    assert not policy.instances_user_has_permission_for(superuser, "delete").exists()
    assert not policy.instances_user_has_permission_for(worker_a, "delete").exists()
    assert list(policy.instances_user_has_any_permission_for(worker_a, ["delete", "view"])) == [conversations[0]]


def test_instances_inactive_users_get_nothing(conversations, superuser, worker_a):
    assert not policy.instances_user_has_permission_for(deactivate(worker_a), "view").exists()
    assert not policy.instances_user_has_permission_for(deactivate(superuser), "view").exists()


def test_instances_include_new_departments_for_superuser(conversations, superuser, start_conversation):
    from django.contrib.auth.models import Group

    from buergerchat_wagtail.models import Department

    dept_c = Department.objects.create(name="Ordnungsamt", slug="ordnungsamt", group=Group.objects.create(name="C"))
    conv_c, _ = start_conversation(dept_c, text="C")
    assert conv_c in policy.instances_user_has_permission_for(reload(superuser), "view")


# --------------------------------------------------------------------------- one instance


@pytest.mark.parametrize("action", STAFF_ACTIONS)
def test_user_has_permission_for_instance(action, conversations, superuser, worker_a, worker_b, plain_user):
    conv_a, conv_b = conversations
    expected = {
        "superuser": (True, True),
        "worker_a": (True, False),
        "worker_b": (False, True),
        "plain_user": (False, False),
    }
    users = {"superuser": superuser, "worker_a": worker_a, "worker_b": worker_b, "plain_user": plain_user}
    for name, user in users.items():
        got = (
            policy.user_has_permission_for_instance(user, action, conv_a),
            policy.user_has_permission_for_instance(user, action, conv_b),
        )
        assert got == expected[name], name
    assert not policy.user_has_permission_for_instance(AnonymousUser(), action, conv_a)


def test_user_has_permission_for_instance_unknown_action(conversations, superuser, worker_a):
    conv_a, _ = conversations
    assert not policy.user_has_permission_for_instance(superuser, "delete", conv_a)
    assert not policy.user_has_permission_for_instance(worker_a, "delete", conv_a)


def test_user_has_permission_for_instance_inactive(conversations, superuser, worker_a):
    conv_a, conv_b = conversations
    inactive_worker = deactivate(worker_a)
    inactive_admin = deactivate(superuser)
    for conversation in (conv_a, conv_b):
        for action in ("view", "reply"):
            assert not policy.user_has_permission_for_instance(inactive_worker, action, conversation)
            assert not policy.user_has_permission_for_instance(inactive_admin, action, conversation)


# --------------------------------------------------------------------------- users


def test_users_with_permission(superuser, worker_a, worker_b, plain_user, departments):
    users = set(policy.users_with_permission("view"))
    assert users == {superuser, worker_a, worker_b}
    assert not policy.users_with_permission("delete").exists()
    deactivate(worker_b)
    assert set(policy.users_with_permission("reply")) == {superuser, worker_a}


def test_users_with_permission_for_instance(conversations, superuser, worker_a, worker_b, plain_user):
    conv_a, conv_b = conversations
    assert set(policy.users_with_permission_for_instance("view", conv_a)) == {superuser, worker_a}
    assert set(policy.users_with_permission_for_instance("reply", conv_b)) == {superuser, worker_b}
    assert not policy.users_with_permission_for_instance("delete", conv_a).exists()


# --------------------------------------------------------------------------- assignment


def test_may_be_assigned_only_colleagues_of_the_department(conversations, superuser, worker_a, worker_b, plain_user):
    conv_a, _ = conversations
    assert policy.may_be_assigned(worker_a, conv_a)
    assert policy.may_be_assigned(superuser, conv_a)
    assert not policy.may_be_assigned(worker_b, conv_a)
    assert not policy.may_be_assigned(plain_user, conv_a)
    assert not policy.may_be_assigned(None, conv_a)
    worker_a.is_active = False
    worker_a.save()
    assert not policy.may_be_assigned(reload(worker_a), conv_a)


def test_assignable_users_are_the_department_group(conversations, superuser, worker_a, worker_b, plain_user):
    conv_a, _ = conversations
    assert list(policy.assignable_users(conv_a, worker_a)) == [worker_a]
    # A superuser may take it, but is not offered to colleagues.
    assert set(policy.assignable_users(conv_a, superuser)) == {worker_a, superuser}
    assert list(policy.assignable_users(conv_a, worker_b)) == [worker_a]


# --------------------------------------------------------------------------- the access matrix
# The access matrix: who may reach conversation A, over every HTTP URL and socket.
#
# Actors: citizen A (owns conversation A), citizen B (owns conversation B in the same
# department), case worker X (A's department), case worker Y (another department),
# anonymous, a logged-in user without admin access, and a superuser.
#
# Every denial is a 401/403 (or, for browser navigations of users without admin
# access, Wagtail's redirect to the login page; XHR requests get 403), or a refused /
# closed socket, or an error frame -- never a 500, and never a byte of A's data.
#
# Attachment and PDF URLs are rows of ``HTTP_CASES`` too; their paths name
# conversation A's file (``{attachment}``) and archived record (``{transcript}``).

ACTORS = ["citizen_a", "citizen_b", "worker_x", "worker_y", "anonymous", "non_staff", "superuser"]
TEXT_A = "Geheimnis von Bürgerin A: Flurstück 12"
NAME_A = "Anna Alpha"
SECRET_HEADER = "HTTP_X_BUERGERCHAT_SECRET"


@dataclass
class HttpCase:
    name: str
    method: str
    path: str  # formatted with {pk} (conversation A's id)
    allowed: set
    kind: str  # "citizen" (secret header) or "admin" (session)
    data: dict = field(default_factory=dict)
    json_body: dict = None
    # The one status the allowed actors get (302: a form post sent back to the admin).
    status: int = 200
    # What citizen B's secret gets: B's own data (None: the same status as A), or a 403 for A's file.
    other_citizen_status: int = None


HTTP_CASES = [
    # Citizen API: only the secret opens conversation A.
    HttpCase("api conversation", "get", "/buergerchat/api/v1/conversation", {"citizen_a"}, "citizen"),
    HttpCase("api messages", "get", "/buergerchat/api/v1/messages", {"citizen_a"}, "citizen"),
    HttpCase(
        "api post message",
        "post",
        "/buergerchat/api/v1/messages",
        {"citizen_a"},
        "citizen",
        json_body={"v": 1, "type": "message", "client_id": "", "body": "Hallo"},
        status=201,
    ),
    HttpCase("api export", "get", "/buergerchat/api/v1/export", {"citizen_a"}, "citizen"),
    HttpCase("api erase", "post", "/buergerchat/api/v1/erase", {"citizen_a"}, "citizen"),
    # Admin: staff of A's department and superusers.
    HttpCase("admin conversation", "get", "/admin/buergerchat/conversations/{pk}/", {"worker_x", "superuser"}, "admin"),
    HttpCase(
        "admin reply",
        "post",
        "/admin/buergerchat/conversations/{pk}/",
        {"worker_x", "superuser"},
        "admin",
        data={"body": "Antwort", "client_id": ""},
        status=302,
    ),
    HttpCase("admin messages", "get", "/admin/buergerchat/conversations/{pk}/messages/", {"worker_x", "superuser"}, "admin"),
    HttpCase(
        "admin close", "post", "/admin/buergerchat/conversations/{pk}/close/", {"worker_x", "superuser"}, "admin", status=302
    ),
    HttpCase("admin export", "get", "/admin/buergerchat/conversations/{pk}/export/", {"worker_x", "superuser"}, "admin"),
    HttpCase("admin history", "get", "/admin/buergerchat/conversations/{pk}/history/", {"worker_x", "superuser"}, "admin"),
    HttpCase(
        "admin history results",
        "get",
        "/admin/buergerchat/conversations/{pk}/history/results/",
        {"worker_x", "superuser"},
        "admin",
    ),
    # Erasure needs the erase permission on top (worker X has none here).
    HttpCase("admin erase form", "get", "/admin/buergerchat/conversations/{pk}/erase/", {"superuser"}, "admin"),
    HttpCase("admin erase", "post", "/admin/buergerchat/conversations/{pk}/erase/", {"superuser"}, "admin", status=302),
    # Attachments and transcripts.
    HttpCase(
        "api upload",
        "post",
        "/buergerchat/api/v1/attachments",
        {"citizen_a"},
        "citizen",
        data={"file": "", "client_id": ""},
        status=201,
    ),
    HttpCase(
        "api attachment",
        "get",
        "/buergerchat/api/v1/attachments/{attachment}",
        {"citizen_a"},
        "citizen",
        other_citizen_status=403,
    ),
    # 202: the PDF is being prepared (the render job runs after the commit).
    HttpCase(
        "api transcript", "get", "/buergerchat/api/v1/transcript", {"citizen_a"}, "citizen", status=202
    ),
    HttpCase(
        "admin upload",
        "post",
        "/admin/buergerchat/conversations/{pk}/attachments/",
        {"worker_x", "superuser"},
        "admin",
        data={"file": "", "client_id": ""},
        status=302,
    ),
    HttpCase("admin attachment", "get", "/admin/buergerchat/attachments/{attachment}/", {"worker_x", "superuser"}, "admin"),
    HttpCase(
        "admin archive", "post", "/admin/buergerchat/conversations/{pk}/archive/", {"worker_x", "superuser"}, "admin", status=302
    ),
    HttpCase(
        "archive download", "get", "/admin/buergerchat-archive/{transcript}/download/", {"worker_x", "superuser"}, "admin"
    ),
]


@pytest.fixture
def world(dept_a, dept_b, worker_a, worker_b, plain_user, superuser):
    conversation_a, secret_a = services.start_conversation(department=dept_a, text=TEXT_A, name=NAME_A)
    services.post_message(
        conversation=conversation_a, sender=SenderType.STAFF, body="Antwort an A", client_id=uuid.uuid4(), author=worker_a
    )
    conversation_b, secret_b = services.start_conversation(department=dept_a, text="Frage von B")
    attachment_domain.store_attachment(
        conversation=conversation_a,
        sender=SenderType.CITIZEN,
        uploaded=upload("plan-a.pdf", pdf_bytes("Plan von A")),
        client_id=uuid.uuid4(),
    )
    attachment = Attachment.objects.get(conversation=conversation_a)
    Attachment.objects.filter(pk=attachment.pk).update(status=ScanStatus.CLEAN)  # as after the scan job
    transcript = transcripts.store_transcript(conversation_a, TranscriptKind.ARCHIVE, user=worker_a)
    return {
        "conversation_a": conversation_a,
        "ids": {"attachment": attachment.pk, "transcript": transcript.pk},
        "secrets": {"citizen_a": secret_a, "citizen_b": secret_b},
        "users": {"worker_x": worker_a, "worker_y": worker_b, "non_staff": plain_user, "superuser": superuser},
    }


def leaks_a(content, conversation_a):
    return any(marker in content for marker in (TEXT_A, NAME_A, "Antwort an A", conversation_a.reference))


def request(world, case, actor, xhr=False):
    client = Client()
    user = world["users"].get(actor)
    if user is not None:
        client.force_login(user)
    headers = {}
    secret = world["secrets"].get(actor)
    if secret is not None:
        headers[SECRET_HEADER] = secret
    if xhr:
        headers["HTTP_X_REQUESTED_WITH"] = "XMLHttpRequest"
    path = case.path.format(pk=world["conversation_a"].pk, **world["ids"])
    if case.method == "get":
        return client.get(path, **headers)
    if case.json_body is not None:
        body = {**case.json_body, "client_id": str(uuid.uuid4())}
        return client.post(path, data=json.dumps(body), content_type="application/json", **headers)
    data = {**case.data}
    if "client_id" in data:
        data["client_id"] = str(uuid.uuid4())
    if "file" in data:
        data["file"] = upload("antwort.pdf", pdf_bytes("Datei"))
    return client.post(path, data, **headers)


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("case", HTTP_CASES, ids=lambda c: c.name)
def test_http_access(world, case, actor):
    conversation_a = world["conversation_a"]
    response = request(world, case, actor)
    assert response.status_code < 500
    body = b"".join(response.streaming_content) if response.streaming else response.content  # file downloads stream
    content = body.decode("utf-8", "replace")
    if actor in case.allowed:
        assert response.status_code == case.status, (response.status_code, content[:300])
        if response.status_code == 302:  # a form post: back to the conversation or the inbox
            assert response["Location"].startswith("/admin/buergerchat/")
        return
    assert not leaks_a(content, conversation_a)
    if case.kind == "citizen":
        if actor == "citizen_b":
            # B's secret opens only B's own conversation: A's data never appears.
            expected = case.status if case.other_citizen_status is None else case.other_citizen_status
            assert response.status_code == expected, response.status_code
        else:
            assert response.status_code == 401
        assert Conversation.objects.filter(pk=conversation_a.pk).exists()
        return
    if actor in ("anonymous", "non_staff", "citizen_a", "citizen_b"):
        # No admin access: browsers are sent to the login page, scripts get a 403.
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
        xhr = request(world, case, actor, xhr=True)
        assert xhr.status_code == 403 and not leaks_a(xhr.content.decode("utf-8", "replace"), conversation_a)
    else:
        assert response.status_code == 403
    conversation_a.refresh_from_db()  # nothing was changed or deleted
    assert conversation_a.status != "closed"


@pytest.mark.django_db
@pytest.mark.parametrize("case", [c for c in HTTP_CASES if c.kind == "admin"], ids=lambda c: c.name)
def test_missing_conversation_is_403_like_a_foreign_one(world, case):
    client = Client()
    client.force_login(world["users"]["worker_x"])
    path = case.path.format(pk=987654, attachment=987654, transcript=987654)
    data = {**case.data, "file": upload("x.pdf", pdf_bytes("x"))} if "file" in case.data else case.data
    response = client.get(path) if case.method == "get" else client.post(path, data)
    assert response.status_code == 403


# --------------------------------------------------------------------------- WebSockets


async def closed_or_refused(communicator, connected, code, expected_codes):
    if not connected:
        return code in expected_codes or code is None  # refused handshake (HTTP 403)
    output = await communicator.receive_output(timeout=3)
    if output["type"] == "websocket.send":  # a frame before the close? must not happen
        raise AssertionError(f"unexpected frame: {output}")
    return output["type"] == "websocket.close" and output.get("code") in expected_codes


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("actor", ACTORS)
async def test_citizen_socket_access(world, actor, open_socket):
    data = await sync_to_async(lambda: world)()
    conversation_a = data["conversation_a"]
    communicator, connected, _ = await open_socket(CITIZEN_PATH, user=data["users"].get(actor))
    assert connected
    secret = data["secrets"].get(actor, "x" * 43)
    await communicator.send_json_to({"v": 1, "type": "auth", "secret": secret})
    frame = await receive(communicator)
    text = json.dumps(frame, ensure_ascii=False)
    if actor == "citizen_a":
        assert frame["type"] == "ready" and conversation_a.reference in text
    elif actor == "citizen_b":
        assert frame["type"] == "ready" and not leaks_a(text, conversation_a)
    else:
        # A session (even a superuser's) opens no citizen conversation; only the secret does.
        assert frame == {**frame, "type": "error", "code": "auth_failed"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("actor", ACTORS)
async def test_staff_socket_access(world, actor, open_socket):
    data = await sync_to_async(lambda: world)()
    conversation_a = data["conversation_a"]
    communicator, connected, code = await open_socket(STAFF_PATH, user=data["users"].get(actor))
    if actor in ("anonymous", "citizen_a", "citizen_b"):
        assert await closed_or_refused(communicator, connected, code, {4401})
        return
    if actor == "non_staff":
        assert await closed_or_refused(communicator, connected, code, {4403})
        return
    hello = await receive(communicator)
    assert hello["type"] == "hello"
    for frame in (
        {"v": 1, "type": "subscribe", "conversation": conversation_a.pk},
        {"v": 1, "type": "sync", "conversation": conversation_a.pk, "after": 0},
        {"v": 1, "type": "message", "conversation": conversation_a.pk, "client_id": str(uuid.uuid4()), "body": "Hi"},
    ):
        await communicator.send_json_to(frame)
        answer = await receive(communicator)
        while answer["type"] in ("message", "conversation") and frame["type"] == "message" and actor in ("worker_x", "superuser"):
            answer = await receive(communicator)
        text = json.dumps(answer, ensure_ascii=False)
        if actor in ("worker_x", "superuser"):
            assert answer["type"] == {"subscribe": "ready", "sync": "messages", "message": "ack"}[frame["type"]], answer
        else:
            assert answer["type"] == "error" and answer["code"] == "forbidden", answer
            assert not leaks_a(text, conversation_a)
