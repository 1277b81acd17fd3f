from .archive import Transcript, TranscriptKind
from .attachments import Attachment, ScanStatus
from .consultations import ConsultationSession, PublishedAnswer, QueueEntry, QueueStatus
from .conversations import Conversation, ConversationStatus, Message, SenderType
from .departments import AvailabilityMode, Department
from .filetypes import FileType
from .notices import CitizenNotice
from .office_hours import GermanState, OfficeHours, OfficeHoursException, OfficeHoursRange, Weekday
from .presence import StaffPresence, StaffStatus
from .site_settings import BuergerchatSiteSettings

__all__ = [
    "Attachment",
    "AvailabilityMode",
    "BuergerchatSiteSettings",
    "CitizenNotice",
    "ConsultationSession",
    "Conversation",
    "ConversationStatus",
    "Department",
    "FileType",
    "GermanState",
    "Message",
    "OfficeHours",
    "OfficeHoursException",
    "OfficeHoursRange",
    "PublishedAnswer",
    "QueueEntry",
    "QueueStatus",
    "ScanStatus",
    "SenderType",
    "StaffPresence",
    "StaffStatus",
    "Transcript",
    "TranscriptKind",
    "Weekday",
]
