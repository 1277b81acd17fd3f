from buergerchat_wagtail.models.archive import Transcript, TranscriptKind
from buergerchat_wagtail.models.attachments import Attachment, ScanStatus
from buergerchat_wagtail.models.canned_answers import CannedAnswer
from buergerchat_wagtail.models.consultations import (
    ConsultationSession,
    PublishedAnswer,
    QueueEntry,
    QueueStatus,
)
from buergerchat_wagtail.models.conversations import Conversation, ConversationStatus, Message, SenderType
from buergerchat_wagtail.models.departments import AssignmentMode, AvailabilityMode, Department, PdfActiveContent, StaffNameDisplay
from buergerchat_wagtail.models.filetypes import FileType
from buergerchat_wagtail.models.launchers import ChatLauncher
from buergerchat_wagtail.models.notices import CitizenNotice, CitizenPresence, ResumeToken
from buergerchat_wagtail.models.office_hours import (
    GermanState,
    OfficeHours,
    OfficeHoursException,
    OfficeHoursRange,
    Weekday,
)
from buergerchat_wagtail.models.presence import StaffPresence, StaffStatus
from buergerchat_wagtail.models.read_markers import ReadMarker
from buergerchat_wagtail.models.site_settings import BuergerchatSiteSettings
from buergerchat_wagtail.models.tags import ConversationTag, SavedInboxView, TagColour

__all__ = [
    "Attachment",
    "AssignmentMode",
    "AvailabilityMode",
    "BuergerchatSiteSettings",
    "CannedAnswer",
    "ChatLauncher",
    "CitizenNotice",
    "CitizenPresence",
    "ConsultationSession",
    "Conversation",
    "ConversationStatus",
    "ConversationTag",
    "Department",
    "FileType",
    "GermanState",
    "Message",
    "OfficeHours",
    "OfficeHoursException",
    "OfficeHoursRange",
    "PdfActiveContent",
    "PublishedAnswer",
    "QueueEntry",
    "QueueStatus",
    "ReadMarker",
    "ResumeToken",
    "SavedInboxView",
    "ScanStatus",
    "SenderType",
    "StaffNameDisplay",
    "StaffPresence",
    "StaffStatus",
    "TagColour",
    "Transcript",
    "TranscriptKind",
    "Weekday",
]
