"""Keep personal data out of other libraries' logs.

Django's ``django.template`` logger writes a DEBUG record for every variable that
fails to resolve, with the exception attached -- and that exception's text is the
whole template context, which in the Bürgerchat admin holds decrypted subjects,
names and messages. The app adds :class:`TemplateContextFilter` to that logger
(``apps.py``): the record stays, its context dump goes.
"""

import logging

from django.template.base import VariableDoesNotExist


class TemplateContextFilter(logging.Filter):
    def filter(self, record):
        if record.exc_info and record.exc_info[0] is not None:
            if issubclass(record.exc_info[0], VariableDoesNotExist):
                record.exc_info = None
                record.exc_text = None
        return True


def install():
    logger = logging.getLogger("django.template")
    if not any(isinstance(f, TemplateContextFilter) for f in logger.filters):
        logger.addFilter(TemplateContextFilter())
