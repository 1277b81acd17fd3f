"""What a citizen can do in their conversation, for the citizen socket and the HTTP API.

The caller has authenticated the conversation's secret and passes the conversation's
id; every command reads the conversation afresh, so no transport holds a stale copy.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from buergerchat_wagtail.availability import presence
from buergerchat_wagtail.casework import assignment, workflow
from buergerchat_wagtail.consultations import queue as consultations
from buergerchat_wagtail.conversations import notifications, payloads, receipts, services
from buergerchat_wagtail.models import CitizenNotice, Conversation, QueueEntry, SenderType
from buergerchat_wagtail.privacy import retention, rights
from buergerchat_wagtail.protocol.frames import ProtocolError, ack, reply


def start(*, department, text, name="", email="", privacy_page=None, subject_prefix="", page=None, notify=False):
    """Start a conversation from a validated start form. Returns ``(conversation, secret)``;
    the secret leaves the server once, in the caller's ``started`` answer. ``notify``:
    the citizen asked for e-mail notices of answers (needs ``email``)."""
    with transaction.atomic():
        started, secret = services.start_conversation(
            department=department,
            text=text,
            name=name,
            email=email,
            privacy_page=privacy_page,
            subject_prefix=subject_prefix,
        )
        CitizenNotice.objects.create(conversation=started, page=page)
        if notify and email:
            notifications.opt_in(started, page=page)
        assignment.assign_new(started)  # in automatic departments: to a present case worker
        retention.schedule_purge()  # an active site purges without cron
    return started, secret


def join_queue(session, **form_data):
    """Join a consultation session's queue from a validated form: ``(entry, secret)``."""
    with transaction.atomic():
        entry, secret = consultations.join(session, **form_data)
        retention.schedule_purge()
    return entry, secret


def conversation(conversation_id):
    found = Conversation.objects.select_related("department").filter(pk=conversation_id).first()
    if found is None:
        raise ProtocolError("conversation_deleted", _("This conversation has been deleted."))
    return found


def messages_after(found, after):
    return payloads.messages_payload(services.citizen_messages_after(found, after), payloads.CITIZEN, found)


def ready(conversation_id, after=0):
    """The conversation and the messages after ``after``; closes it first if its idle
    deadline has passed (a polling widget asks as a socket pings)."""
    found = conversation(conversation_id)
    due = found.idle_close_at
    if due is not None and due <= timezone.now():
        workflow.close_if_idle(found)
        found = conversation(conversation_id)
    return reply(
        "ready",
        conversation=payloads.conversation_payload(found, payloads.CITIZEN),
        messages=messages_after(found, after),
    )


def polled(conversation_id):
    """A widget polling over HTTP has the conversation open (as a socket would)."""
    presence.citizen_seen(f"http:{conversation_id}", conversation_id)
    notifications.schedule_sweep()


def sync(conversation_id, request):
    return reply("messages", messages=messages_after(conversation(conversation_id), request.after))


def send(conversation_id, request):
    # The conversation is read once, under the lock (a deleted one: conversation_deleted).
    message, created = services.post_message(
        conversation=conversation_id, sender=SenderType.CITIZEN, body=request.body, client_id=request.client_id
    )
    payload = payloads.message_payload(message, payloads.CITIZEN, department=message.conversation.department)
    return ack(request.client_id, payload, duplicate=not created)


def read(conversation_id, request):
    up_to = receipts.mark_read_by_citizen(conversation(conversation_id), request.up_to)
    return reply("read", reader="citizen", up_to=up_to)


def typing(conversation_id, request):
    receipts.typing_by_citizen(conversation(conversation_id), request.active)


def extend(conversation_id, request=None):
    fresh = workflow.extend_idle(conversation(conversation_id))
    return reply("extended", conversation=payloads.conversation_payload(fresh, payloads.CITIZEN))


def rate(conversation_id, request):
    fresh = workflow.rate(conversation(conversation_id), request.score, request.comment)
    return reply("rated", conversation=payloads.conversation_payload(fresh, payloads.CITIZEN))


def close_if_idle(conversation_id):
    """A ping at the idle deadline: close the conversation now if it is due."""
    found = Conversation.objects.select_related("department").filter(pk=conversation_id).first()
    if found is not None:
        workflow.close_if_idle(found)


def leave_queue(conversation_id, request=None):
    entry = QueueEntry.objects.select_related("session").filter(conversation_id=conversation_id).first()
    if entry is None:
        raise ProtocolError("not_in_queue", _("This conversation is not in a queue."))
    consultations.leave(entry)
    return reply("queue", queue=consultations.entry_payload(entry))


def erase(conversation_id):
    outcome = rights.citizen_requests_erasure(conversation(conversation_id))
    return reply("erased" if outcome == "erased" else "erasure_requested")


def resume_link(token):
    """Exchange a notice's one-time link token for an access code: ``resumed`` with the
    code, as the citizen's noted code would give it; or ``resume_link_invalid``."""
    try:
        _found, code = notifications.exchange_resume_token(token)
    except notifications.ResumeLinkInvalid:
        raise ProtocolError(
            "resume_link_invalid",
            _("This link has already been used or has expired. Please continue with your conversation code."),
        ) from None
    return reply("resumed", secret=code)


def stop_notices(conversation_id):
    notifications.opt_out(conversation(conversation_id))
    return reply("notices", enabled=False)
