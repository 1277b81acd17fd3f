"""What a case worker can do with a conversation, for the staff socket and the admin.

Every command checks the user's permission for that action on the conversation as it
is now (Wagtail's permission policy, ``conversations.permissions``); a conversation
that does not exist is refused like a forbidden one, so ids leak nothing.
"""

from django.utils.translation import gettext as _

from buergerchat_wagtail.casework import workflow
from buergerchat_wagtail.conversations import payloads, receipts, services
from buergerchat_wagtail.conversations.permissions import conversation_permission_policy, may_supervise
from buergerchat_wagtail.models import Conversation, Department, SenderType
from buergerchat_wagtail.protocol.frames import ProtocolError, ack, reply


def conversation(user, conversation_id, action):
    """The conversation if ``user`` may ``action`` it now, else ``forbidden``."""
    found = Conversation.objects.select_related("department", "assignee").filter(pk=conversation_id).first()
    if found is None or not conversation_permission_policy.user_has_permission_for_instance(user, action, found):
        raise ProtocolError("forbidden", _("You may not access this conversation."))
    return found


def messages_after(found, after):
    return payloads.messages_payload(services.messages_after(found, after), payloads.STAFF, found)


def subscribe(user, request):
    found = conversation(user, request.conversation, "view")
    return reply(
        "ready",
        conversation=payloads.conversation_payload(found, payloads.STAFF),
        messages=messages_after(found, request.after),
    )


def sync(user, request):
    found = conversation(user, request.conversation, "view")
    return reply("messages", conversation=found.pk, messages=messages_after(found, request.after))


def send(user, request, *, internal=False):
    """A reply to the citizen, or with ``internal`` a note only colleagues see."""
    found = conversation(user, request.conversation, "note" if internal else "reply")
    message, created = services.post_message(
        conversation=found,
        sender=SenderType.STAFF,
        body=request.body,
        client_id=request.client_id,
        author=user,
        internal=internal,
    )
    payload = payloads.message_payload(message, payloads.STAFF, department=found.department)
    return ack(request.client_id, payload, duplicate=not created, conversation=found.pk)


def note(user, request):
    return send(user, request, internal=True)


def read(user, request):
    found = conversation(user, request.conversation, "view")
    up_to = receipts.mark_read_by_staff(found, user, request.up_to)
    return reply("read", conversation=found.pk, reader="staff", up_to=up_to)


def typing(user, request, *, channel_name=None, notify=True):
    """Tell the others that ``user`` is typing; ``notify=False`` (a repeat the socket
    throttles) only checks the permission, so a refusal is answered all the same."""
    found = conversation(user, request.conversation, "note" if request.note else "reply")
    if notify:
        receipts.typing_by_staff(found, user, request.active, note=request.note, channel_name=channel_name)


def done(user, action, fresh):
    """The answer to an action: the new state, and whether the user may still open the
    conversation (not after passing it to a department they do not belong to)."""
    access = conversation_permission_policy.user_has_permission_for_instance(user, "view", fresh)
    return reply("done", action=action, conversation=payloads.conversation_payload(fresh, payloads.STAFF), access=access)


def take(user, request):
    return done(user, "take", workflow.take(conversation(user, request.conversation, "take"), user))


def assign(user, request):
    found = conversation(user, request.conversation, "assign")
    return done(user, "assign", workflow.assign(found, user, request.assignee))


def transfer(user, request):
    found = conversation(user, request.conversation, "transfer")
    return done(user, "transfer", workflow.transfer(found, user, request.department, request.reason))


def set_status(user, request):
    found = conversation(user, request.conversation, "status")
    return done(user, "status", workflow.set_status(found, user, request.status))


def change_tags(user, request):
    found = conversation(user, request.conversation, "tag")
    return done(user, "tags", workflow.change_tags(found, user, add=request.add, remove=request.remove))
def watch_team(user, request):
    """The team board of a department: allowed to its supervisors (``may_supervise``);
    an unknown department is refused like a forbidden one. Returns the reply frame."""
    department = Department.objects.filter(pk=request.department).first()
    if department is None or not may_supervise(user, department):
        raise ProtocolError("forbidden", _("You may not see this team."))
    return reply("watching", department=department.pk)
