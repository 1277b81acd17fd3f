"""Tell open staff sockets when rights may have changed, so a case worker who left
a department stops receiving its conversations at once, not at the next periodic check."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from buergerchat_wagtail.conversations.services import broadcast_permissions_changed
from buergerchat_wagtail.models import Department


def _notify(**kwargs):
    transaction.on_commit(broadcast_permissions_changed)


def _user_saved(sender, instance, created, update_fields=None, **kwargs):
    if created:
        return
    if update_fields is not None and not {"is_active", "is_superuser"} & set(update_fields):
        return  # e.g. last_login on every login
    _notify()


def connect_signals():
    User = get_user_model()
    m2m_changed.connect(_notify, sender=User.groups.through, dispatch_uid="buergerchat_user_groups")
    post_save.connect(_user_saved, sender=User, dispatch_uid="buergerchat_user_saved")
    post_save.connect(_notify, sender=Department, dispatch_uid="buergerchat_department_saved")
    post_delete.connect(_notify, sender=Department, dispatch_uid="buergerchat_department_deleted")
