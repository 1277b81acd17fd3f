from .archive import Transcript, TranscriptKind
from .attachments import Attachment, ScanStatus
from .conversations import Conversation, ConversationStatus, Message, SenderType
from .departments import Department
from .filetypes import FileType
from .site_settings import BuergerchatSiteSettings

__all__ = [
    "Attachment",
    "BuergerchatSiteSettings",
    "Conversation",
    "ConversationStatus",
    "Department",
    "FileType",
    "Message",
    "ScanStatus",
    "SenderType",
    "Transcript",
    "TranscriptKind",
]
