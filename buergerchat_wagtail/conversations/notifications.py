"""Content-free e-mails: they say *that* something happened and where, never what.

- To the citizen, only if they asked for it in the start form (with an e-mail
  address) and did not stop it: "an answer is waiting". Staff answers are coalesced:
  the first answer of a burst makes a notice due after ``NOTICE_DELAY`` seconds; it is
  sent then only if answers are still unread and no citizen socket is open, and a new
  burst begins once the citizen has read what the last notice announced. The notice
  names the department and carries a link to the page with a one-time, short-lived
  token in the URL *fragment* (``#resume=…``): browsers do not send fragments to
  servers, so it appears in no server log; the widget exchanges it once for access
  (:func:`exchange_resume_token`). A second link stops the notices.
- To the department's address when a conversation starts while no case worker of
  the department is online.

No message text, no names, no subject, no conversation code. Sending runs as a
background task after the commit; with a task backend that can defer jobs the notice
is a deferred job per conversation, otherwise :func:`send_due_notices` sends it (run
on socket pings at most every ``NOTICE_CHECK_INTERVAL`` seconds, or from cron with
``manage.py buergerchat_send_notices``).
"""

import datetime
import logging

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import DatabaseError, transaction
from django.db.models import Max
from django.db.models.signals import post_save
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks import task, task_backends

from buergerchat_wagtail.availability import presence
from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.conversations import audit
from buergerchat_wagtail.jobs import enqueue_at_most_every
from buergerchat_wagtail.models import CitizenNotice, Conversation, Message, ResumeToken, SenderType
from buergerchat_wagtail.models.conversations import hash_secret, new_secret
from buergerchat_wagtail.models.notices import hash_token, new_token

logger = logging.getLogger(__name__)

STOP_SALT = "buergerchat.notice-stop"
SWEEP_KEY = "buergerchat:notices:scheduled"


def _base_url():
    return getattr(settings, "WAGTAILADMIN_BASE_URL", "").rstrip("/")


def _render(name, context):
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string(f"buergerchat_wagtail/email/{name}_subject.txt", context).strip()
        body = render_to_string(f"buergerchat_wagtail/email/{name}.txt", context)
    return " ".join(subject.split()), body


# --------------------------------------------------------------------------- consent


def opt_in(conversation, *, page=None):
    """The citizen asked for notices (start form). Needs an e-mail address."""
    if not conversation.citizen_email:
        return None
    now = timezone.now()
    notice, _created = CitizenNotice.objects.update_or_create(
        conversation=conversation, defaults={"opted_in_at": now, "opted_out_at": None, "page": page}
    )
    audit.log(conversation, audit.NOTICE_REQUESTED)
    return notice


def wants_notices(conversation):
    return CitizenNotice.objects.filter(
        conversation=conversation, opted_in_at__isnull=False, opted_out_at__isnull=True
    ).exists()


def opt_out(conversation):
    """Stop the notices (stored: a later answer sends nothing). True if they were on."""
    with transaction.atomic():
        notice = CitizenNotice.objects.select_for_update().filter(conversation=conversation).first()
        if notice is None or not notice.wanted:
            return False
        notice.opted_out_at = timezone.now()
        notice.due_at = None
        notice.save(update_fields=["opted_out_at", "due_at"])
        # Links already sent stop working too.
        ResumeToken.objects.filter(conversation=conversation, used_at__isnull=True).delete()
        audit.log(conversation, audit.NOTICE_STOPPED)
    return True


def stop_token(conversation):
    """The token of the "stop notices" link: it can only stop notices, nothing else."""
    return signing.dumps(conversation.pk, salt=STOP_SALT, compress=True)


def conversation_for_stop_token(token):
    try:
        pk = signing.loads(token, salt=STOP_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(pk, int):
        return None
    return Conversation.objects.filter(pk=pk).first()


# --------------------------------------------------------------------------- coalescing


def _can_defer():
    return task_backends[send_notice.backend].supports_defer


def schedule_notice(conversation_id, now=None):
    """A staff answer was stored: make a notice due unless one is pending already (the
    burst's answers go into it). Returns the due time, or ``None``."""
    now = now or timezone.now()
    with transaction.atomic():
        notice = (
            CitizenNotice.objects.select_for_update()
            .select_related("conversation")
            .filter(conversation_id=conversation_id)
            .first()
        )
        if notice is None or not notice.wanted or not notice.conversation.citizen_email:
            return None
        if notice.due_at is not None:
            return None  # coalesced into the pending notice
        delay = buergerchat_settings.NOTICE_DELAY
        notice.due_at = now + datetime.timedelta(seconds=delay)
        notice.save(update_fields=["due_at"])
        due = notice.due_at
        if not delay:
            transaction.on_commit(lambda: send_notice.enqueue(conversation_id))
        elif _can_defer():
            transaction.on_commit(lambda: send_notice.using(run_after=due).enqueue(conversation_id))
        # Otherwise send_due_notices sends it (socket pings or cron).
    return due


def _unread_staff_answer_id(conversation):
    return (
        Message.objects.filter(conversation=conversation, sender=SenderType.STAFF, internal=False)
        .aggregate(latest=Max("pk"))["latest"]
        or 0
    )


def send_notice_if_due(conversation_id, now=None):
    """Send the conversation's pending notice if it is due and still needed. True if sent."""
    now = now or timezone.now()
    with transaction.atomic():
        notice = (
            CitizenNotice.objects.select_for_update()
            .select_related("conversation", "conversation__department", "page")
            .filter(conversation_id=conversation_id)
            .first()
        )
        if notice is None or notice.due_at is None or notice.due_at > now:
            return False
        notice.due_at = None
        notice.save(update_fields=["due_at"])
        conversation = notice.conversation
        if not notice.wanted or not conversation.citizen_email:
            return False
        if presence.citizen_connected(conversation_id, now):
            return False  # the citizen sees the answers live
        latest = _unread_staff_answer_id(conversation)
        if latest <= max(conversation.citizen_read_up_to, notice.notified_up_to):
            return False  # read meanwhile, or announced already
        if notice.notified_up_to and conversation.citizen_read_up_to < notice.notified_up_to:
            return False  # the last notice's answers are still unread: same burst
        page = notice.page
        resume_url = None
        if page is not None and page.live:
            token = new_token()
            ResumeToken.objects.create(
                conversation=conversation,
                token_hash=hash_token(token),
                created_at=now,
                expires_at=now + datetime.timedelta(seconds=buergerchat_settings.RESUME_LINK_LIFETIME),
            )
            resume_url = f"{page.full_url}#resume={token}"
        stop_url = _base_url() + reverse("buergerchat:stop_notices", args=[stop_token(conversation)])
        hours = max(1, buergerchat_settings.RESUME_LINK_LIFETIME // 3600)
        subject, body = _render(
            "citizen_answer",
            {
                "department": conversation.department.name,
                "resume_url": resume_url,
                "stop_url": stop_url,
                "hours": hours,
            },
        )
        notice.notified_up_to = latest
        notice.last_emailed_at = now
        notice.save(update_fields=["notified_up_to", "last_emailed_at"])
        audit.log(conversation, audit.NOTICE_SENT, data={"up_to": latest})
        email = conversation.citizen_email
    send_mail(subject, body, None, [email])
    logger.info("answer notice sent for conversation %s", conversation_id)
    return True


def send_due_notices(now=None):
    """Send every due notice and drop expired, unused links. Returns how many were sent."""
    now = now or timezone.now()
    ResumeToken.objects.filter(expires_at__lt=now, access_hash="").delete()
    sent = 0
    for conversation_id in CitizenNotice.objects.filter(due_at__lte=now).values_list("conversation_id", flat=True):
        try:
            sent += send_notice_if_due(conversation_id, now)
        except (OSError, DatabaseError):
            logger.warning("answer notice for conversation %s failed", conversation_id, exc_info=True)
    return sent


def schedule_sweep():
    """After the commit, enqueue :func:`send_due_notices` at most every
    ``NOTICE_CHECK_INTERVAL`` seconds (called on socket pings)."""
    enqueue_at_most_every(send_due_notices_job, SWEEP_KEY, buergerchat_settings.NOTICE_CHECK_INTERVAL)


# --------------------------------------------------------------------------- the link


class ResumeLinkInvalid(Exception):
    """The link was used already, has expired or never existed."""


def exchange_resume_token(token, now=None):
    """Exchange a notice link's token, once, for an access code of the conversation.
    Returns ``(conversation, code)``; raises :class:`ResumeLinkInvalid`."""
    now = now or timezone.now()
    if not isinstance(token, str) or not token or len(token) > 200:
        raise ResumeLinkInvalid
    with transaction.atomic():
        found = (
            ResumeToken.objects.select_for_update()
            .select_related("conversation")
            .filter(token_hash=hash_token(token))
            .first()
        )
        if found is None or found.used_at is not None or found.expires_at < now:
            raise ResumeLinkInvalid
        code = new_secret()
        found.used_at = now
        found.access_hash = hash_secret(code)
        found.save(update_fields=["used_at", "access_hash"])
        audit.log(found.conversation, audit.RESUME_LINK_USED)
    return found.conversation, code


# --------------------------------------------------------------------------- the department


def notify_department_of_new_conversation(conversation_id):
    """E-mail the department's address if no case worker of it is online. Returns True if sent."""
    conversation = Conversation.objects.select_related("department").filter(pk=conversation_id).first()
    if conversation is None or not conversation.department.email:
        return False
    department = conversation.department
    if presence.is_staffed(department):
        return False
    subject, body = _render(
        "department_new",
        {
            "reference": conversation.reference,
            "department": department.name,
            "inbox_url": _base_url() + reverse("buergerchat_inbox:conversation", args=[conversation.pk]),
        },
    )
    send_mail(subject, body, None, [department.email])
    logger.info("new-conversation notice sent for conversation %s", conversation_id)
    return True


# --------------------------------------------------------------------------- tasks


@task()
def send_notice(conversation_id: int):
    try:
        return send_notice_if_due(conversation_id)
    except (OSError, DatabaseError):
        logger.warning("answer notice for conversation %s failed", conversation_id, exc_info=True)
        return False


@task()
def notify_citizen(conversation_id: int):
    """Jobs queued by versions before opt-in notices: treated as a new staff answer."""
    return schedule_notice(conversation_id) is not None


@task()
def send_due_notices_job():
    return send_due_notices()


@task()
def notify_department(conversation_id: int):
    try:
        return notify_department_of_new_conversation(conversation_id)
    except (OSError, DatabaseError):
        logger.warning("new-conversation notice for conversation %s failed", conversation_id, exc_info=True)
        return False


def _conversation_created(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        conversation_id = instance.pk
        transaction.on_commit(lambda: notify_department.enqueue(conversation_id))


def _message_created(sender, instance, created, raw=False, **kwargs):
    if created and not raw and instance.sender == SenderType.STAFF and not instance.internal:
        conversation_id = instance.conversation_id
        transaction.on_commit(lambda: _schedule_safely(conversation_id))


def _schedule_safely(conversation_id):
    try:
        schedule_notice(conversation_id)
    except DatabaseError:
        logger.warning("answer notice for conversation %s not scheduled", conversation_id, exc_info=True)


def connect_signals():
    post_save.connect(_conversation_created, sender=Conversation, dispatch_uid="buergerchat_notify_department")
    post_save.connect(_message_created, sender=Message, dispatch_uid="buergerchat_notify_citizen")
