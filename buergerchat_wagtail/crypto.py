"""Encryption at rest: one MultiFernet built from ``BUERGERCHAT["ENCRYPTION_KEYS"]``.

Fernet is AES-128-CBC with HMAC-SHA256 (authenticated encryption) from the
``cryptography`` package. The first key encrypts; every listed key decrypts, so a
new key is put first, ``manage.py buergerchat_rotate_keys`` re-encrypts, and then
the old key is removed from the list.

Without configured keys a key is derived from ``SECRET_KEY`` (HKDF-SHA256): fine for
development and the demo, but production should set its own keys (system check
``buergerchat.W010``), because the data must stay readable when SECRET_KEY rotates.
The derived key is always accepted last for decryption, so after configuring keys
``buergerchat_rotate_keys`` moves old data to them.

Used by :mod:`buergerchat_wagtail.fields` (text columns) and by
:class:`EncryptedStorageMixin` (files such as attachments and archived PDFs).
"""

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.signals import setting_changed

from buergerchat_wagtail.conf import buergerchat_settings

#: Every Fernet token starts with this (base64 of the version byte 0x80).
TOKEN_PREFIX = "gAAAAA"

__all__ = [
    "InvalidToken",
    "decrypt_bytes",
    "decrypt_str",
    "derived_key",
    "encrypt_bytes",
    "encrypt_str",
    "is_token",
    "rotate_bytes",
    "rotate_str",
    "uses_derived_key",
]


def derived_key(secret_key):
    """A Fernet key derived from ``secret_key`` (HKDF-SHA256, fixed context)."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"buergerchat encryption at rest v1").derive(
        secret_key.encode("utf-8")
    )
    return base64.urlsafe_b64encode(raw).decode("ascii")


def configured_keys():
    return list(buergerchat_settings.ENCRYPTION_KEYS)


def uses_derived_key():
    return not configured_keys()


@lru_cache(maxsize=1)
def _fernet():
    # The key derived from SECRET_KEY stays accepted for decryption (last), so data
    # written before keys were configured can be re-encrypted by buergerchat_rotate_keys.
    keys = configured_keys() + [derived_key(settings.SECRET_KEY)]
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "BUERGERCHAT['ENCRYPTION_KEYS'] must hold url-safe base64 Fernet keys "
            "(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
        ) from exc


def reset():
    _fernet.cache_clear()


def _on_setting_changed(*, setting, **kwargs):
    if setting in ("BUERGERCHAT", "SECRET_KEY"):
        reset()


setting_changed.connect(_on_setting_changed, dispatch_uid="buergerchat_crypto_reset")


def encrypt_bytes(data: bytes) -> bytes:
    return _fernet().encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    """Plain bytes, or :class:`InvalidToken` if no configured key fits."""
    return _fernet().decrypt(token)


def rotate_bytes(token: bytes) -> bytes:
    """The same plaintext, encrypted again with the first (newest) key."""
    return _fernet().rotate(token)


def encrypt_str(text: str) -> str:
    return encrypt_bytes(text.encode("utf-8")).decode("ascii")


def decrypt_str(token: str) -> str:
    return decrypt_bytes(token.encode("ascii")).decode("utf-8")


def rotate_str(token: str) -> str:
    return rotate_bytes(token.encode("ascii")).decode("ascii")


def is_token(value) -> bool:
    return isinstance(value, str) and value.startswith(TOKEN_PREFIX)


class EncryptedStorageMixin:
    """Mix into any Django storage class: file contents are encrypted on save and
    decrypted on open. Names, sizes on disk and timestamps stay visible to the
    storage, so keep names free of personal data (use random names).

    Example for attachments::

        class PrivateEncryptedStorage(EncryptedStorageMixin, FileSystemStorage):
            pass

    Whole files are held in memory (Fernet is not a streaming cipher): fine for the
    size-limited attachments and PDFs of a chat. ``size()`` reports the stored
    (encrypted) size; use :meth:`plain_size` for the original size.
    """

    def _save(self, name, content):
        if hasattr(content, "seek"):
            content.seek(0)
        encrypted = encrypt_bytes(content.read())
        return super()._save(name, ContentFile(encrypted))

    def _open(self, name, mode="rb"):
        if "w" in mode or "a" in mode or "+" in mode:
            raise ValueError("Encrypted storage files are opened read-only; save a new file instead.")
        with super()._open(name, "rb") as stored:
            token = stored.read()
        return ContentFile(decrypt_bytes(token), name=name)

    def plain_size(self, name):
        with self.open(name) as f:
            return len(f.read())

    def rotate_file(self, name):
        """Re-encrypt one stored file with the newest key (``buergerchat_rotate_keys``)."""
        with super()._open(name, "rb") as stored:
            token = stored.read()
        rotated = rotate_bytes(token)  # raises InvalidToken before anything is changed
        self.delete(name)
        saved = super()._save(name, ContentFile(rotated))
        if saved != name:
            raise RuntimeError("storage renamed a rotated file")
        return True
