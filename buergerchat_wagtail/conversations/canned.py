"""Canned answers: placeholders filled for one conversation.

A placeholder is a lowercase name in braces, e.g. ``{name}``. Built in:

============== ==========================================================
``{name}``       the citizen's name (only if they gave one)
``{department}`` the conversation's department as it reads in a sentence
                 (``Department.sentence_name``, e.g. "das Ordnungsamt"; else its name)
``{reference}``  the conversation's reference, e.g. BC-K4C3-HFN6
``{subject}``    the conversation's subject
``{staff_name}`` the case worker's name as citizens see it (department setting)
============== ==========================================================

Other parts of a project add placeholders with the Wagtail hook
``register_buergerchat_placeholders``: each hook function returns a dict
``{name: callable(conversation, user) -> str or None}``. ``{office_hours}`` is meant
to come from the office hours feature this way; until something provides it, it is
left in the text and reported as not filled, like any placeholder without a value,
so the case worker sees it before sending.
"""

import re

from wagtail import hooks

from buergerchat_wagtail.conversations.payloads import staff_name_for_citizen
from buergerchat_wagtail.models import CannedAnswer

PLACEHOLDER_RE = re.compile(r"\{([a-z][a-z0-9_]{0,39})\}")
HOOK_NAME = "register_buergerchat_placeholders"


def _built_in():
    return {
        "name": lambda conversation, user: conversation.citizen_name.strip() or None,
        "department": lambda conversation, user: conversation.department.in_sentence,
        "reference": lambda conversation, user: conversation.reference,
        "subject": lambda conversation, user: conversation.subject,
        "staff_name": lambda conversation, user: staff_name_for_citizen(user, conversation.department),
    }


def placeholders():
    """Every known placeholder: the built-in ones and those registered by hooks."""
    known = _built_in()
    for function in hooks.get_hooks(HOOK_NAME):
        known.update(function())
    return known


def fill(text, conversation, user, known=None):
    """``(text with placeholders replaced, names of the placeholders left unfilled)``."""
    known = placeholders() if known is None else known
    cache = {}
    missing = []

    def replace(match):
        name = match.group(1)
        if name not in cache:
            provider = known.get(name)
            value = provider(conversation, user) if provider else None
            cache[name] = str(value) if value not in (None, "") else None
        if cache[name] is None:
            if name not in missing:
                missing.append(name)
            return match.group(0)
        return cache[name]

    return PLACEHOLDER_RE.sub(replace, text), missing


def answers_for(conversation, user):
    """The canned answers offered in ``conversation``, filled: a list of dicts
    ``{id, title, text, missing}`` (one query)."""
    known = placeholders()
    result = []
    for answer in CannedAnswer.objects.for_department(conversation.department_id):
        text, missing = fill(answer.text, conversation, user, known)
        result.append({"id": answer.pk, "title": answer.title, "text": text, "missing": missing})
    return result
