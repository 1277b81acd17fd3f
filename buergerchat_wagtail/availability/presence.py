"""Which case workers have the admin open, who set themselves away, and which
citizens have their conversation open (no e-mail notice while they do).

Kept in the database (see :class:`~.models.StaffPresence`), so that any worker process
answers alike. A staff socket registers on connect, refreshes ``last_seen`` with its
pings and unregisters on disconnect; rows of sockets lost with a crashed worker
expire after ``BUERGERCHAT["PRESENCE_TIMEOUT"]`` seconds.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.events import groups
from buergerchat_wagtail.events.broadcasting import group_send
from buergerchat_wagtail.models import CitizenPresence, Department, StaffPresence, StaffStatus

#: A ping refreshes ``last_seen`` at most this often (seconds), to spare the database.
HEARTBEAT_WRITE_SECONDS = 15


def _cutoff(now=None):
    return (now or timezone.now()) - datetime.timedelta(seconds=buergerchat_settings.PRESENCE_TIMEOUT)


def department_ids_of(user):
    """Departments whose answering group ``user`` belongs to: the ones their presence staffs."""
    return set(Department.objects.filter(group__user=user).values_list("pk", flat=True))


def register(channel_name, user):
    now = timezone.now()
    StaffPresence.objects.filter(last_seen__lt=_cutoff(now)).delete()
    StaffPresence.objects.update_or_create(
        channel_name=channel_name, defaults={"user": user, "connected_at": now, "last_seen": now}
    )
    note_absence(user, now)


def heartbeat(channel_name, user):
    """Refresh the socket's row; recreate it if it expired meanwhile. True if it was missing."""
    now = timezone.now()
    updated = StaffPresence.objects.filter(
        channel_name=channel_name, last_seen__lt=now - datetime.timedelta(seconds=HEARTBEAT_WRITE_SECONDS)
    ).update(last_seen=now)
    if updated:
        return False
    _obj, created = StaffPresence.objects.get_or_create(
        channel_name=channel_name, defaults={"user": user, "connected_at": now, "last_seen": now}
    )
    if created:
        note_absence(user, now)
    return created


def unregister(channel_name, user=None):
    StaffPresence.objects.filter(channel_name=channel_name).delete()
    if user is not None:
        note_absence(user)


def is_away(user):
    return StaffStatus.objects.filter(user=user, away=True).exists()


def set_away(user, away):
    with transaction.atomic():
        StaffStatus.objects.update_or_create(user=user, defaults={"away": bool(away), "changed_at": timezone.now()})
        note_absence(user)


def is_present(user, now=None):
    """Has ``user`` the admin open (a live staff socket) and is not away?"""
    return (
        StaffPresence.objects.filter(user=user, last_seen__gte=_cutoff(now)).exists()
        and not is_away(user)
    )


def note_absence(user, now=None):
    """Keep ``StaffStatus.offline_since``: cleared while ``user`` is present, else the
    moment the absence was first noticed (the automatic assignment reassigns after it)."""
    now = now or timezone.now()
    if is_present(user, now):
        StaffStatus.objects.filter(user=user, offline_since__isnull=False).update(offline_since=None)
        return
    status, created = StaffStatus.objects.get_or_create(user=user, defaults={"changed_at": now, "offline_since": now})
    if not created and status.offline_since is None:
        StaffStatus.objects.filter(pk=status.pk, offline_since__isnull=True).update(offline_since=now)


def absent_since(user_ids, now=None):
    """``{user id: since when absent}`` of those of ``user_ids`` who are not present now
    (an absence not noticed before, e.g. a socket lost with a crashed worker, counts from now)."""
    now = now or timezone.now()
    present = set(
        StaffPresence.objects.filter(user_id__in=user_ids, last_seen__gte=_cutoff(now))
        .exclude(user__buergerchat_status__away=True)
        .values_list("user_id", flat=True)
    )
    known = dict(StaffStatus.objects.filter(user_id__in=user_ids).values_list("user_id", "offline_since"))
    absent = {}
    for user_id in set(user_ids) - present:
        since = known.get(user_id)
        if since is None:
            if user_id in known:
                StaffStatus.objects.filter(user_id=user_id).update(offline_since=now)
            else:
                StaffStatus.objects.get_or_create(user_id=user_id, defaults={"changed_at": now, "offline_since": now})
            since = now
        absent[user_id] = since
    return absent


def broadcast_presence(department_ids):
    """Tell the team boards of these departments that someone came, left or set
    themselves away (a ``presence`` frame to sockets that sent ``watch_team``)."""
    for department_id in department_ids:
        group_send(groups.team(department_id), {"type": "bc.presence", "department": department_id})


def online_user_ids(department, now=None):
    """Active members of the department's group with the admin open and not away."""
    return set(
        StaffPresence.objects.filter(
            last_seen__gte=_cutoff(now), user__is_active=True, user__groups=department.group_id
        )
        .exclude(user__buergerchat_status__away=True)
        .values_list("user_id", flat=True)
        .distinct()
    )


def is_staffed(department, now=None):
    return bool(online_user_ids(department, now))


# ---- citizens: an open socket (or a polling widget) of a conversation


def citizen_seen(channel_name, conversation_id):
    """Register or refresh a citizen socket's row (``channel_name``: the socket's
    channel, or ``http:<conversation id>`` for a widget polling over HTTP)."""
    now = timezone.now()
    updated = CitizenPresence.objects.filter(channel_name=channel_name).update(
        conversation_id=conversation_id, last_seen=now
    )
    if not updated:
        CitizenPresence.objects.filter(last_seen__lt=_cutoff(now)).delete()
        CitizenPresence.objects.get_or_create(
            channel_name=channel_name, defaults={"conversation_id": conversation_id, "last_seen": now}
        )


def citizen_left(channel_name):
    CitizenPresence.objects.filter(channel_name=channel_name).delete()


def citizen_connected(conversation_id, now=None):
    """Is the citizen of this conversation connected now (a fresh socket or poll)?"""
    return CitizenPresence.objects.filter(conversation_id=conversation_id, last_seen__gte=_cutoff(now)).exists()
