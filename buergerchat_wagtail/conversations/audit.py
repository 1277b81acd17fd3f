"""Audit trail of staff actions on conversations, in Wagtail's own log entries.

Entries appear in Wagtail's site history report (Reports → Site history) and in the
conversation's history view. They carry ids, the acting user and the action only;
the label is the conversation's reference (``Conversation.__str__``), never its
subject, and ``data`` never holds message text, names or e-mail addresses.
"""

import logging

from django.utils.translation import gettext_lazy as _
from wagtail.log_actions import log as wagtail_log

logger = logging.getLogger(__name__)

VIEW = "buergerchat.view"
REPLY = "buergerchat.reply"
CLOSE = "buergerchat.close"
EXPORT = "buergerchat.export"
DOWNLOAD = "buergerchat.download"  # transcript / attachment downloads (attachments and PDF archive)
TRANSFER = "buergerchat.transfer"  # transfer to another department (the staff workplace)
ERASE = "buergerchat.erase"  # Art. 17 erasure by staff
ERASURE_REQUEST = "buergerchat.erasure_request"  # the citizen asked to delete
CITIZEN_ERASE = "buergerchat.citizen_erase"  # the citizen deleted their conversation
CITIZEN_EXPORT = "buergerchat.citizen_export"  # the citizen downloaded their data
PURGE = "buergerchat.purge"  # deleted by the retention purge
PDF_CLEANED = "buergerchat.pdf_cleaned"  # active content removed from an uploaded PDF
NOTICE_REQUESTED = "buergerchat.notice_requested"  # the citizen asked for e-mail notices
NOTICE_SENT = "buergerchat.notice_sent"  # an "answer is waiting" e-mail was sent
NOTICE_STOPPED = "buergerchat.notice_stopped"  # the citizen stopped the e-mail notices
RESUME_LINK_USED = "buergerchat.resume_link"  # a notice's one-time link was exchanged
ASSIGN = "buergerchat.assign"  # taken, or assigned to a colleague (or to nobody)
STATUS = "buergerchat.status"  # status changed (closing is logged as CLOSE)
TAG = "buergerchat.tag"  # tags added or removed (ids only)
AUTO_ASSIGN = "buergerchat.auto_assign"  # assigned by the automatic assignment (casework/assignment.py)

#: (action, label, message) registered with Wagtail's ``register_log_actions`` hook.
ACTIONS = [
    (VIEW, _("Open conversation"), _("Conversation opened")),
    (REPLY, _("Reply"), _("Reply sent")),
    (CLOSE, _("Close conversation"), _("Conversation closed")),
    (EXPORT, _("Export conversation"), _("Conversation exported (Art. 15 GDPR)")),
    (DOWNLOAD, _("Download"), _("File downloaded")),
    (TRANSFER, _("Transfer conversation"), _("Conversation transferred to another department")),
    (ERASE, _("Erase conversation"), _("Conversation erased (Art. 17 GDPR)")),
    (ERASURE_REQUEST, _("Erasure request"), _("The citizen asked to delete the conversation")),
    (CITIZEN_ERASE, _("Deleted by the citizen"), _("The citizen deleted the conversation")),
    (CITIZEN_EXPORT, _("Data download by the citizen"), _("The citizen downloaded their data")),
    (PURGE, _("Deleted after the retention period"), _("Deleted automatically after the retention period")),
    (PDF_CLEANED, _("PDF cleaned"), _("Active content was removed from an uploaded PDF")),
    (NOTICE_REQUESTED, _("E-mail notices requested"), _("The citizen asked to be notified of answers by e-mail")),
    (NOTICE_SENT, _("E-mail notice sent"), _("The citizen was notified by e-mail that an answer is waiting")),
    (NOTICE_STOPPED, _("E-mail notices stopped"), _("The citizen stopped the e-mail notices")),
    (RESUME_LINK_USED, _("Link from the e-mail used"), _("The citizen opened the conversation with the link from a notice")),
    (ASSIGN, _("Assign conversation"), _("Conversation assigned")),
    (STATUS, _("Change status"), _("Conversation status changed")),
    (TAG, _("Tag conversation"), _("Conversation tags changed")),
    (AUTO_ASSIGN, _("Automatic assignment"), _("Conversation assigned automatically")),
]


def register_actions(actions):
    for action, label, message in ACTIONS:
        actions.register_action(action, label, message)


def log(conversation, action, *, user=None, data=None, deleted=False):
    """Record ``action`` on ``conversation``. ``data`` must hold ids and counts only."""
    entry = wagtail_log(conversation, action, user=user, data=data or {}, deleted=deleted)
    logger.info("audit %s on conversation %s by user %s", action, conversation.pk, getattr(user, "pk", None))
    return entry
