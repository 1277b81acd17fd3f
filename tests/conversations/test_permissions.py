"""ConversationPermissionPolicy: who may see and answer which conversation."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from buergerchat_wagtail.conversations.permissions import (
    STAFF_ACTIONS,
    ConversationPermissionPolicy,
    fresh_user_permissions,
)
from buergerchat_wagtail.conversations.permissions import conversation_permission_policy as policy

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
