"""The private storage of attachments and transcripts.

Files are kept in the Django storage named by ``BUERGERCHAT["STORAGE"]`` (an alias
in ``STORAGES``), which must not be reachable through the web server: they are
only ever served by views that check the requester's rights (see
``attachments.file_response``). The system check buergerchat.E003 refuses a
storage inside ``MEDIA_ROOT`` or ``STATIC_ROOT``.
"""

from django.core.files.storage import storages

from .conf import buergerchat_settings


def private_storage():
    return storages[buergerchat_settings.STORAGE]
