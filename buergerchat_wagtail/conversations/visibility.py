"""Which messages a citizen may ever see: the one rule, in one function.

Internal notes and internal events (assignment, status changes) are for staff only.
Everything that hands messages to a citizen – the citizen socket (sync and live
broadcast), the citizen HTTP API, and any transcript or export made for the citizen
(PDF) – must take them through :func:`citizen_visible` (or :func:`citizen_transcript`,
which uses it). Tests in ``tests/conversations/test_visibility.py`` hold every path to this.
"""

from django.db.models import QuerySet

#: The rule, as field values a citizen-visible message has.
_CITIZEN_VISIBLE = {"internal": False}


def citizen_visible(messages):
    """Only the citizen-visible ones of ``messages``.

    ``messages`` is a queryset (filtered in the database) or an iterable of
    :class:`~buergerchat_wagtail.models.Message` (filtered in Python by the same rule).
    """
    if isinstance(messages, QuerySet):
        return messages.filter(**_CITIZEN_VISIBLE)
    return [m for m in messages if all(getattr(m, field) == value for field, value in _CITIZEN_VISIBLE.items())]


def citizen_transcript(conversation):
    """Every message of ``conversation`` the citizen may see, oldest first.

    The source for a citizen's transcript (PDF, export): never contains internal notes.
    """
    return list(citizen_visible(conversation.messages.all()).select_related("author").order_by("pk"))
