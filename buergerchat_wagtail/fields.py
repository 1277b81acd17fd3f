"""Model fields whose values are encrypted in the database (see crypto.py).

The column holds a Fernet token (text); Python code sees the plain value. The
token is randomised, so the database cannot compare, search or sort by these
columns: only ``isnull`` and comparisons with the empty string (stored as ``""``
to mark "not given") are allowed. Everything else raises ``FieldError`` instead of
silently finding nothing.
"""

from django.core.exceptions import FieldError
from django.db import models

from buergerchat_wagtail import crypto

ALLOWED_LOOKUPS = {"isnull", "exact"}


class EncryptedTextMixin:
    description = "Text encrypted at rest (Fernet)"

    def get_internal_type(self):
        return "TextField"  # tokens are longer than the plain text

    def db_type(self, connection):
        return models.TextField().db_type(connection)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt_str(str(value))

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return crypto.decrypt_str(value)

    def get_lookup(self, lookup_name):
        if lookup_name not in ALLOWED_LOOKUPS:
            raise FieldError(
                f"{self.model.__name__}.{self.name} is encrypted at rest; the database cannot evaluate "
                f"'{lookup_name}'. Filter in Python on decrypted values instead."
            )
        lookup = super().get_lookup(lookup_name)
        if lookup_name == "exact":
            return _EmptyOnlyExact
        return lookup


class _EmptyOnlyExact(models.lookups.Exact):
    """``field=""`` works (it is stored as ``""``); any other value cannot match a token."""

    def get_prep_lookup(self):
        if self.rhs != "":
            raise FieldError("Encrypted fields can only be compared with the empty string.")
        return self.rhs

    def get_db_prep_lookup(self, value, connection):
        return ("%s", [""])


class EncryptedTextField(EncryptedTextMixin, models.TextField):
    pass


class EncryptedCharField(EncryptedTextMixin, models.CharField):
    """A CharField (form widget and ``max_length`` check on the plain value) stored
    as an encrypted text column."""


class EncryptedEmailField(EncryptedTextMixin, models.EmailField):
    pass
