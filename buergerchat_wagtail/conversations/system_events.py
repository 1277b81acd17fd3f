"""System messages: what happened in a conversation (transfer, closing, assignment …).

A system message stores an event code and its data; its text is rendered per
audience and in the reader's language by :func:`text`. Events marked internal are
stored as internal messages, so the citizen never receives them (see visibility.py).
For citizen-visible events only the keys in ``citizen_keys`` ever leave the server
towards the citizen (a transfer reason, for example, is for colleagues only).
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from buergerchat_wagtail.models import ConversationStatus


@dataclass(frozen=True)
class Event:
    internal: bool
    citizen_keys: tuple = ()


TRANSFERRED = "transferred"
CLOSED = "closed"
REOPENED = "reopened"
ASSIGNED = "assigned"
AUTO_ASSIGNED = "auto_assigned"
STATUS = "status"
RATED = "rated"

EVENTS = {
    TRANSFERRED: Event(internal=False, citizen_keys=("to",)),
    CLOSED: Event(internal=False, citizen_keys=("idle", "minutes")),
    REOPENED: Event(internal=True),
    ASSIGNED: Event(internal=True),
    AUTO_ASSIGNED: Event(internal=True),
    STATUS: Event(internal=True),
    RATED: Event(internal=True),
}


def is_internal(event):
    return EVENTS[event].internal


def citizen_data(event, data):
    """The part of an event's data a citizen may see."""
    spec = EVENTS.get(event)
    if spec is None or spec.internal:
        return {}
    return {key: data[key] for key in spec.citizen_keys if key in data}


def _status_label(code):
    try:
        return ConversationStatus(code).label
    except ValueError:
        return code


def text(event, data, audience, fallback=""):
    """The event as a sentence for ``audience`` (``"citizen"`` or ``"staff"``), in the active language."""
    data = data or {}
    if audience == "citizen":
        if event == TRANSFERRED:
            return _("Your concern has been passed on to %(department)s. You will get the answer here.") % {
                "department": data.get("to", "")
            }
        if event == CLOSED and data.get("idle"):
            minutes = data.get("minutes") or 0
            return ngettext(
                "This conversation was closed because no message came for %(minutes)d minute.",
                "This conversation was closed because no message came for %(minutes)d minutes.",
                minutes,
            ) % {"minutes": minutes}
        if event == CLOSED:
            return _("This conversation has been closed.")
        return fallback
    if event == CLOSED and data.get("idle"):
        minutes = data.get("minutes") or 0
        return ngettext(
            "The conversation was closed automatically after %(minutes)d minute without a message from the citizen.",
            "The conversation was closed automatically after %(minutes)d minutes without a message from the citizen.",
            minutes,
        ) % {"minutes": minutes}
    if event == CLOSED and data.get("by_citizen"):
        return _("The citizen asked to delete the conversation; it has been closed until it is archived and erased.")
    by = data.get("by") or _("Former staff member")
    if event == TRANSFERRED:
        sentence = _("%(user)s passed the conversation on from %(source)s to %(target)s.") % {
            "user": by,
            "source": data.get("from", ""),
            "target": data.get("to", ""),
        }
        if data.get("reason"):
            sentence += " " + _("Reason: %(reason)s") % {"reason": data["reason"]}
        return sentence
    if event == CLOSED:
        return _("%(user)s closed the conversation.") % {"user": by}
    if event == REOPENED:
        if data.get("by_citizen"):
            return _("The citizen's message reopened the conversation.")
        return _("%(user)s reopened the conversation.") % {"user": by}
    if event == ASSIGNED:
        assignee = data.get("assignee")
        if not assignee:
            return _("%(user)s removed the assignment.") % {"user": by}
        if data.get("assignee_id") is not None and data.get("assignee_id") == data.get("by_id"):
            return _("%(user)s took the conversation.") % {"user": by}
        return _("%(user)s assigned the conversation to %(assignee)s.") % {"user": by, "assignee": assignee}
    if event == AUTO_ASSIGNED:
        assignee = data.get("assignee") or _("Former staff member")
        if data.get("previous"):
            return _("Reassigned automatically from %(previous)s (absent) to %(assignee)s.") % {
                "previous": data["previous"],
                "assignee": assignee,
            }
        return _("Assigned automatically to %(assignee)s.") % {"assignee": assignee}
    if event == STATUS:
        return _("%(user)s set the status to “%(status)s”.") % {"user": by, "status": _status_label(data.get("status"))}
    if event == RATED:
        return _("The citizen rated the conversation: %(score)s of 5.") % {"score": data.get("score")}
    return fallback
