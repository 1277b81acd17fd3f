"""The private storage of attachments and transcripts.

Files are kept in the Django storage named by ``BUERGERCHAT["STORAGE"]`` (an alias
in ``STORAGES``), which must not be reachable through the web server: they are
only ever served by views that check the requester's rights (see
``attachments.file_response``). The system check buergerchat.E003 refuses a
storage inside ``MEDIA_ROOT`` or ``STATIC_ROOT``.

Every file is encrypted at rest (:class:`~buergerchat_wagtail.crypto.EncryptedStorageMixin`,
the keys of ``ENCRYPTION_KEYS``): :func:`private_storage` wraps the configured
storage, whatever its backend, so the storage itself only ever holds Fernet tokens
under random names. Read and write files through :func:`private_storage` only.
"""

from django.core.files.storage import Storage, storages
from django.db import transaction
from django.db.models.signals import post_delete

from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.crypto import EncryptedStorageMixin
from buergerchat_wagtail.models import Attachment, Transcript


class _Delegating(Storage):
    """A storage that passes everything to ``inner`` (the configured backend)."""

    def __init__(self, inner):
        self.inner = inner

    def _save(self, name, content):
        return self.inner._save(name, content)

    def _open(self, name, mode="rb"):
        return self.inner._open(name, mode)

    def get_valid_name(self, name):
        return self.inner.get_valid_name(name)

    def get_available_name(self, name, max_length=None):
        return self.inner.get_available_name(name, max_length=max_length)

    def generate_filename(self, filename):
        return self.inner.generate_filename(filename)

    def delete(self, name):
        return self.inner.delete(name)

    def exists(self, name):
        return self.inner.exists(name)

    def listdir(self, path):
        return self.inner.listdir(path)

    def size(self, name):
        return self.inner.size(name)

    def path(self, name):
        return self.inner.path(name)

    def url(self, name):
        return self.inner.url(name)

    def get_accessed_time(self, name):
        return self.inner.get_accessed_time(name)

    def get_created_time(self, name):
        return self.inner.get_created_time(name)

    def get_modified_time(self, name):
        return self.inner.get_modified_time(name)


class EncryptedPrivateStorage(EncryptedStorageMixin, _Delegating):
    """The configured private storage with contents encrypted on save, decrypted on open."""


_wrapped = None


def private_storage():
    global _wrapped
    inner = storages[buergerchat_settings.STORAGE]
    if isinstance(inner, EncryptedStorageMixin):  # a project may configure one itself
        return inner
    if _wrapped is None or _wrapped.inner is not inner:  # STORAGES may change in tests
        _wrapped = EncryptedPrivateStorage(inner)
    return _wrapped


def raw_private_storage():
    """The configured storage without decryption (system checks, tests of the ciphertext)."""
    return storages[buergerchat_settings.STORAGE]


def delete_stored_file(sender, instance, **kwargs):
    """A deleted attachment or transcript takes its file along (after the commit,
    so a rolled-back deletion keeps it)."""
    names = [name for name in (instance.storage_name, getattr(instance, "thumbnail_name", "")) if name]
    if names:
        transaction.on_commit(lambda: [private_storage().delete(name) for name in names])


def connect_signals():
    post_delete.connect(delete_stored_file, sender=Attachment, dispatch_uid="buergerchat_attachment_deleted")
    post_delete.connect(delete_stored_file, sender=Transcript, dispatch_uid="buergerchat_transcript_deleted")
