from .archive import Transcript, TranscriptKind
from .attachments import Attachment, ScanStatus
from .canned_answers import CannedAnswer
from .consultations import ConsultationSession, PublishedAnswer, QueueEntry, QueueStatus
from .conversations import Conversation, ConversationStatus, Message, SenderType
from .departments import AvailabilityMode, Department, StaffNameDisplay
from .filetypes import FileType
from .launchers import ChatLauncher
from .notices import CitizenNotice
from .office_hours import GermanState, OfficeHours, OfficeHoursException, OfficeHoursRange, Weekday
from .presence import StaffPresence, StaffStatus
from .read_markers import ReadMarker
from .site_settings import BuergerchatSiteSettings

__all__ = [
    "Attachment",
    "AvailabilityMode",
    "BuergerchatSiteSettings",
    "CannedAnswer",
    "ChatLauncher",
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
    "ReadMarker",
    "ScanStatus",
    "SenderType",
    "StaffNameDisplay",
    "StaffPresence",
    "StaffStatus",
    "Transcript",
    "TranscriptKind",
    "Weekday",
]
