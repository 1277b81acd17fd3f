"""The domain of consultation sessions: joining the queue, taking the next citizen,
ending talks, and closing the queue when the session is over.

Like messages, every change is stored first and announced after the commit. Each
waiting citizen is told their own position through their conversation's group, so
the channel layer carries no one else's data. Session transitions are computed here
on the server (:func:`finish_if_over`), whoever asks first: a citizen socket's timer,
the host's page or the status endpoint.
"""

import logging

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from buergerchat_wagtail.availability.state import format_when
from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.conversations import services
from buergerchat_wagtail.conversations.visibility import citizen_visible
from buergerchat_wagtail.events import broadcasting, groups
from buergerchat_wagtail.models import (
    CitizenNotice,
    ConsultationSession,
    Message,
    PublishedAnswer,
    QueueEntry,
    QueueStatus,
    SenderType,
)
from buergerchat_wagtail.protocol.frames import ProtocolError

logger = logging.getLogger(__name__)

OPEN_STATUSES = (QueueStatus.WAITING, QueueStatus.ACTIVE)


class QueueError(Exception):
    """A host action that cannot be done now; the message is for the host."""


# --------------------------------------------------------------------------- payloads


def waiting_entries(session):
    return list(QueueEntry.objects.filter(session=session, status=QueueStatus.WAITING).order_by("joined_at", "pk"))


def position_of(entry):
    if entry.status != QueueStatus.WAITING:
        return None
    earlier = QueueEntry.objects.filter(session_id=entry.session_id, status=QueueStatus.WAITING).filter(
        joined_at__lt=entry.joined_at
    ) | QueueEntry.objects.filter(
        session_id=entry.session_id, status=QueueStatus.WAITING, joined_at=entry.joined_at, pk__lt=entry.pk
    )
    return earlier.count() + 1


def queue_event(entry, session, position=None):
    """Language-free: the consumer adds the label in the socket's language."""
    return {
        "session": session.pk,
        "status": entry.status,
        "position": position,
        "host": session.host,
        "title": session.title,
        "ends_at": session.ends_at.isoformat(),
    }


def queue_label(data):
    status = data["status"]
    if status == QueueStatus.WAITING:
        return _("You are number %(position)d in the queue.") % {"position": data["position"] or 1}
    if status == QueueStatus.ACTIVE:
        return _("It is your turn: %(host)s is answering you now.") % {"host": data["host"]}
    if status == QueueStatus.DONE:
        return _("Your talk has ended. Thank you for your questions!")
    if status == QueueStatus.LEFT:
        return _("You have left the queue. You can still write here; the department will answer later.")
    return _("The consultation hour has ended. Leave a message here; the department will answer later.")


def queue_payload(data):
    """The ``queue`` object of citizen frames (active language)."""
    return {**data, "label": queue_label(data)}


def entry_payload(entry):
    session = entry.session
    return queue_payload(queue_event(entry, session, position_of(entry)))


# --------------------------------------------------------------------------- session state


def session_state(session, now=None):
    """The ``availability`` object for a session's join form (active language)."""
    now = now or timezone.now()
    if session.has_ended(now):
        state, label, refresh = "ended", _("This consultation hour has ended."), None
    elif session.is_running(now):
        waiting = QueueEntry.objects.filter(session=session, status=QueueStatus.WAITING).count()
        state = "running"
        label = _("The consultation hour is on now.") + " " + ngettext(
            "%(count)d citizen is waiting.", "%(count)d citizens are waiting.", waiting
        ) % {"count": waiting}
        refresh = session.ends_at
    else:
        state = "upcoming"
        label = _("The queue opens %(when)s.") % {"when": format_when(session.starts_at, now)}
        refresh = session.starts_at
    return {
        "session": session.pk,
        "state": state,
        "available": state == "running",
        "accepts_messages": state == "running" and session.department.is_active,
        "label": label,
        "detail": "",
        "next_change": refresh.isoformat() if refresh else None,
        "refresh_in": max(1, int((refresh - now).total_seconds()) + 1) if refresh else None,
    }


# --------------------------------------------------------------------------- broadcasting


def broadcast_queue(session, changed=()):
    """Tell every waiting citizen their position, the changed entries their status,
    and the department's staff sockets that the queue changed."""
    waiting = waiting_entries(session)
    notified = set()
    for position, entry in enumerate(waiting, start=1):
        notified.add(entry.pk)
        broadcasting.group_send(
            groups.conversation_citizen(entry.conversation_id),
            {"type": "bc.queue", "queue": queue_event(entry, session, position)},
        )
    for entry in changed:
        if entry.pk not in notified:
            broadcasting.group_send(
                groups.conversation_citizen(entry.conversation_id),
                {"type": "bc.queue", "queue": queue_event(entry, session)},
            )
    broadcasting.group_send(
        groups.department(session.department_id),
        {"type": "bc.queue_staff", "department": session.department_id, "session": session.pk},
    )


def _after_commit(session, changed=()):
    changed = list(changed)
    transaction.on_commit(lambda: broadcast_queue(session, changed))


# --------------------------------------------------------------------------- citizen actions


def _client_key(session, client):
    return f"buergerchat:queue:{session.pk}:{client}"


def _check_caps(session, client):
    """Refuse a join when the session's queue is full or the client (the keyed hash
    of its address, see ratelimit.client_hash) already has an open entry in it.
    The client's entries are remembered in the cache only, never in the database."""
    most = buergerchat_settings.QUEUE_MAX_PER_SESSION
    if most and QueueEntry.objects.filter(session=session, status=QueueStatus.WAITING).count() >= most:
        raise ProtocolError(
            "queue_full",
            _("The queue of this consultation hour is full. Please try again later, or write to the department."),
        )
    most = buergerchat_settings.QUEUE_MAX_PER_CLIENT
    if client is None or not most:
        return
    known = cache.get(_client_key(session, client)) or []
    if QueueEntry.objects.filter(pk__in=known, session=session, status__in=OPEN_STATUSES).count() >= most:
        raise ProtocolError(
            "already_queued",
            _("You are already in the queue of this consultation hour. Please wait for your turn in your open chat."),
        )


def _remember(session, client, entry):
    if client is None:
        return
    key = _client_key(session, client)
    timeout = max(60, int((session.ends_at - timezone.now()).total_seconds()) + 3600)
    cache.set(key, [*(cache.get(key) or []), entry.pk], timeout=timeout)


def join(session, *, text, name="", email="", consent=False, page=None, privacy_page=None, client=None):
    """Start the citizen's conversation (their question is its first message) and put
    them at the end of the queue. Returns ``(entry, secret)``.

    ``client`` is the keyed hash of the citizen's address; with it the caps
    ``QUEUE_MAX_PER_CLIENT`` and ``QUEUE_MAX_PER_SESSION`` apply (the session's row is
    locked while they are counted, so concurrent joins cannot both pass)."""
    now = timezone.now()
    if not session.is_running(now) or not session.department.is_active:
        raise ProtocolError("session_closed", _("This consultation hour is not open for questions now."))
    with transaction.atomic():
        locked = ConsultationSession.objects.select_for_update().get(pk=session.pk)
        _check_caps(locked, client)
        conversation, secret = services.start_conversation(
            department=session.department, text=text, name=name, email=email, privacy_page=privacy_page
        )
        entry = QueueEntry.objects.create(
            session=session,
            conversation=conversation,
            joined_at=now,
            publish_consent=bool(consent and session.public_qa),
        )
        CitizenNotice.objects.update_or_create(conversation=conversation, defaults={"page": page})
        _remember(locked, client, entry)
        _after_commit(session)
    logger.info("conversation %s joined the queue of session %s", conversation.pk, session.pk)
    return entry, secret


def leave(entry):
    with transaction.atomic():
        updated = QueueEntry.objects.filter(pk=entry.pk, status=QueueStatus.WAITING).update(
            status=QueueStatus.LEFT, finished_at=timezone.now()
        )
        entry.refresh_from_db()
        if updated:
            _after_commit(entry.session, [entry])
    return bool(updated)


# --------------------------------------------------------------------------- host actions


def take_next(session):
    """Call the longest-waiting citizen, if the host has room for another talk."""
    finish_if_over(session)
    with transaction.atomic():
        locked = ConsultationSession.objects.select_for_update().get(pk=session.pk)
        if locked.has_ended():
            raise QueueError(_("The session has ended."))
        active = QueueEntry.objects.filter(session=locked, status=QueueStatus.ACTIVE).count()
        if active >= locked.capacity:
            raise QueueError(
                ngettext(
                    "You are already talking to %(count)d citizen. End a talk first.",
                    "You are already talking to %(count)d citizens. End a talk first.",
                    active,
                )
                % {"count": active}
            )
        entry = (
            QueueEntry.objects.select_for_update()
            .filter(session=locked, status=QueueStatus.WAITING)
            .order_by("joined_at", "pk")
            .first()
        )
        if entry is None:
            raise QueueError(_("No one is waiting."))
        entry.status = QueueStatus.ACTIVE
        entry.called_at = timezone.now()
        entry.save(update_fields=["status", "called_at"])
        _after_commit(locked, [entry])
    logger.info("session %s: conversation %s called", session.pk, entry.conversation_id)
    return entry


def end_talk(entry):
    with transaction.atomic():
        updated = QueueEntry.objects.filter(pk=entry.pk, status=QueueStatus.ACTIVE).update(
            status=QueueStatus.DONE, finished_at=timezone.now()
        )
        entry.refresh_from_db()
        if not updated:
            raise QueueError(_("This talk has already ended."))
        session = entry.session
        if session.public_qa and entry.publish_consent:
            publish_answer(entry)
        _after_commit(session, [entry])
    logger.info("session %s: talk with conversation %s ended", entry.session_id, entry.conversation_id)
    return entry


def publish_answer(entry):
    """Question (the citizen's messages) and answer (the staff's), without names.
    Internal notes are never published (visibility.citizen_visible)."""
    messages = list(citizen_visible(Message.objects.filter(conversation_id=entry.conversation_id)).order_by("pk"))
    question = "\n\n".join(m.body for m in messages if m.sender == SenderType.CITIZEN)
    answer = "\n\n".join(m.body for m in messages if m.sender == SenderType.STAFF)
    if question and answer:
        PublishedAnswer.objects.create(session_id=entry.session_id, question=question, answer=answer)


def finish_if_over(session, now=None):
    """When the session has ended, those still waiting are told they may leave a
    message instead. Idempotent; safe to call from any worker."""
    now = now or timezone.now()
    if not session.has_ended(now):
        return False
    with transaction.atomic():
        entries = list(QueueEntry.objects.filter(session=session, status=QueueStatus.WAITING))
        if not entries:
            return False
        QueueEntry.objects.filter(pk__in=[e.pk for e in entries], status=QueueStatus.WAITING).update(
            status=QueueStatus.MISSED, finished_at=now
        )
        for entry in entries:
            entry.status = QueueStatus.MISSED
        _after_commit(session, entries)
    logger.info("session %s ended with %d citizens still waiting", session.pk, len(entries))
    return True
