"""The one place that answers "may this user see or do this".

Staff rights follow department membership: a case worker acts for every department
whose answering group they belong to; superusers act for all. Views, consumers and
tasks all ask :data:`conversation_permission_policy`.
"""

from django.contrib.auth import get_user_model
from django.db.models import Q
from wagtail.permission_policies.base import BasePermissionPolicy

from buergerchat_wagtail.models import ConsultationSession, Conversation, Department, Transcript

#: Actions a case worker may take on a conversation of one of their departments:
#: read it (and mark it read), answer, write internal notes, take it, assign it to a
#: colleague, transfer it to another department, change its status (closing is a status
#: change), tag it and export it (Art. 15 GDPR).
STAFF_ACTIONS = ("view", "reply", "note", "take", "assign", "transfer", "status", "tag", "export")
#: Actions that need a Django permission on top of department membership:
#: erasing a conversation (Art. 17 GDPR).
EXTRA_PERMISSIONS = {"erase": "buergerchat.erase_conversation"}
#: Every action the policy knows.
ALL_ACTIONS = STAFF_ACTIONS + tuple(EXTRA_PERMISSIONS)


class ConversationPermissionPolicy(BasePermissionPolicy):
    permission_cache_name = "_buergerchat_department_ids"

    def get_all_permissions_for_user(self, user):
        """The ids of the departments ``user`` answers for (cached on the user)."""
        if not (user.is_authenticated and user.is_active):
            return frozenset()
        departments = Department.objects.all()
        if not user.is_superuser:
            departments = departments.filter(group__in=user.groups.all())
        return frozenset(departments.values_list("pk", flat=True))

    def department_ids_for_user(self, user):
        return self.get_cached_permissions_for_user(user)

    def departments_for_user(self, user):
        return Department.objects.filter(pk__in=self.department_ids_for_user(user))

    def _has_extra_permission(self, user, action):
        codename = EXTRA_PERMISSIONS.get(action)
        return codename is None or user.has_perm(codename)

    def user_has_permission(self, user, action):
        if action not in ALL_ACTIONS:
            return False
        if not (user.is_authenticated and user.is_active):
            return False
        if not self._has_extra_permission(user, action):
            return False
        return user.is_superuser or bool(self.department_ids_for_user(user))

    def user_has_permission_for_instance(self, user, action, instance):
        if action not in ALL_ACTIONS:
            return False
        if instance.department_id not in self.department_ids_for_user(user):
            return False
        return self._has_extra_permission(user, action)

    def instances_user_has_any_permission_for(self, user, actions):
        if not any(action in ALL_ACTIONS for action in actions):
            return Conversation.objects.none()
        if user.is_active and user.is_superuser:
            return Conversation.objects.all()
        return Conversation.objects.filter(department_id__in=self.department_ids_for_user(user))

    def users_with_any_permission(self, actions):
        User = get_user_model()
        if not any(action in ALL_ACTIONS for action in actions):
            return User.objects.none()
        return (
            User.objects.filter(is_active=True)
            .filter(Q(is_superuser=True) | Q(groups__buergerchat_departments__isnull=False))
            .distinct()
        )

    def users_with_any_permission_for_instance(self, actions, instance):
        User = get_user_model()
        if not any(action in ALL_ACTIONS for action in actions):
            return User.objects.none()
        return (
            User.objects.filter(is_active=True)
            .filter(Q(is_superuser=True) | Q(groups__buergerchat_departments=instance.department_id))
            .distinct()
        )


    def may_be_assigned(self, user, conversation):
        """Whether ``user`` can be made responsible for ``conversation``: an active
        colleague who may answer in its department."""
        return user is not None and self.user_has_permission_for_instance(user, "reply", conversation)

    def assignable_users(self, conversation, acting_user=None):
        """The colleagues offered when assigning: active members of the department's
        answering group, plus the acting user if they may take it themselves."""
        User = get_user_model()
        users = User.objects.filter(is_active=True, groups=conversation.department.group_id)
        if acting_user is not None and self.may_be_assigned(acting_user, conversation):
            users = users | User.objects.filter(pk=acting_user.pk)
        return users.distinct().order_by("first_name", "last_name", User.USERNAME_FIELD)


conversation_permission_policy = ConversationPermissionPolicy(Conversation)


def fresh_user_permissions(user):
    """Forget cached department ids so the next check reads the database again.

    A socket's user lives for hours; group membership may change meanwhile.
    """
    for name in (ConversationPermissionPolicy.permission_cache_name, "_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        if hasattr(user, name):  # Django's ModelBackend caches permissions on the user too
            delattr(user, name)
    return user


SUPERVISE_PERMISSION = "buergerchat.supervise_department"


def may_supervise(user, department):
    """The "Leitung" of a department sees its team board and reassigns its conversations:
    the ``supervise_department`` permission and membership of the department's answering
    group (superusers supervise every department)."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    return user.has_perm(SUPERVISE_PERMISSION) and department.pk in conversation_permission_policy.department_ids_for_user(user)


def supervised_departments(user):
    """The departments whose team board ``user`` may open."""
    if not (user.is_authenticated and user.is_active):
        return Department.objects.none()
    if user.is_superuser:
        return Department.objects.all()
    if not user.has_perm(SUPERVISE_PERMISSION):
        return Department.objects.none()
    return conversation_permission_policy.departments_for_user(user)


def may_host_session(user, session):
    """Staff of the session's department host it: take citizens from the queue and end talks."""
    return session.department_id in conversation_permission_policy.department_ids_for_user(user)


def hostable_sessions(user):
    return ConsultationSession.objects.filter(department_id__in=conversation_permission_policy.department_ids_for_user(user))
class TranscriptPermissionPolicy(BasePermissionPolicy):
    """Archived transcripts: staff of the transcript's department may list and
    download them (the department is kept on the transcript itself, so the right
    survives the deletion of the conversation)."""

    def __init__(self, model):
        super().__init__(model)
        self.departments = conversation_permission_policy

    def user_has_permission(self, user, action):
        return self.departments.user_has_permission(user, "view") if action in ALL_ACTIONS else False

    def user_has_permission_for_instance(self, user, action, instance):
        if action not in ALL_ACTIONS:
            return False
        return instance.department_id in self.departments.department_ids_for_user(user)

    def instances_user_has_any_permission_for(self, user, actions):
        if not any(action in ALL_ACTIONS for action in actions):
            return Transcript.objects.none()
        if user.is_active and user.is_superuser:
            return Transcript.objects.archived()
        return Transcript.objects.archived().filter(department_id__in=self.departments.department_ids_for_user(user))

    def users_with_any_permission(self, actions):
        return self.departments.users_with_any_permission(actions)

    def users_with_any_permission_for_instance(self, actions, instance):
        return self.departments.users_with_any_permission_for_instance(actions, instance)


transcript_permission_policy = TranscriptPermissionPolicy(Transcript)
