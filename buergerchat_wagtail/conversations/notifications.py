"""Content-free e-mails: they say *that* something happened and where, never what.

- To the citizen (if they gave an address) when staff answer: once per round of
  answers, i.e. only if the citizen wrote since the last such e-mail.
- To the department's address when a conversation starts while no case worker of
  the department is online.

No message text, no names, no secret: the citizen opens the page and continues with
the code their browser keeps (or that they noted down). Sending runs as a background
task after the commit (:func:`notify_citizen`, :func:`notify_department`).
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import DatabaseError, transaction
from django.db.models.signals import post_save
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks import task

from buergerchat_wagtail.availability import presence
from buergerchat_wagtail.models import CitizenNotice, Conversation, Message, SenderType

logger = logging.getLogger(__name__)


def _base_url():
    return getattr(settings, "WAGTAILADMIN_BASE_URL", "").rstrip("/")


def _render(name, context):
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string(f"buergerchat_wagtail/email/{name}_subject.txt", context).strip()
        body = render_to_string(f"buergerchat_wagtail/email/{name}.txt", context)
    return " ".join(subject.split()), body


def notify_citizen_of_answer(conversation_id):
    """Send the "an answer is waiting" e-mail if it is due. Returns True if sent."""
    with transaction.atomic():
        conversation = (
            Conversation.objects.lock(conversation_id)
        )
        if conversation is None or not conversation.citizen_email:
            return False
        notice, _created = CitizenNotice.objects.get_or_create(conversation=conversation)
        last_citizen = (
            Message.objects.filter(conversation=conversation, sender=SenderType.CITIZEN)
            .order_by("-pk")
            .values_list("created_at", flat=True)
            .first()
        )
        if notice.last_emailed_at and (last_citizen is None or last_citizen <= notice.last_emailed_at):
            return False  # this round of answers was announced already
        page = notice.page
        page_url = page.full_url if page is not None and page.live else None
        subject, body = _render(
            "citizen_answer",
            {"reference": conversation.reference, "department": conversation.department.name, "page_url": page_url},
        )
        notice.last_emailed_at = timezone.now()
        notice.save(update_fields=["last_emailed_at"])
        email = conversation.citizen_email
    send_mail(subject, body, None, [email])
    logger.info("answer notice sent for conversation %s", conversation_id)
    return True


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


@task()
def notify_citizen(conversation_id: int):
    try:
        return notify_citizen_of_answer(conversation_id)
    except (OSError, DatabaseError):
        logger.warning("answer notice for conversation %s failed", conversation_id, exc_info=True)
        return False


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
    if created and not raw and instance.sender == SenderType.STAFF:
        conversation_id = instance.conversation_id
        transaction.on_commit(lambda: notify_citizen.enqueue(conversation_id))


def connect_signals():
    post_save.connect(_conversation_created, sender=Conversation, dispatch_uid="buergerchat_notify_department")
    post_save.connect(_message_created, sender=Message, dispatch_uid="buergerchat_notify_citizen")
