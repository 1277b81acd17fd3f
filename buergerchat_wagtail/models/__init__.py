from .consultations import ConsultationSession, PublishedAnswer, QueueEntry, QueueStatus
from .conversations import Conversation, ConversationStatus, Message, SenderType
from .departments import AvailabilityMode, Department
from .notices import CitizenNotice
from .office_hours import GermanState, OfficeHours, OfficeHoursException, OfficeHoursRange, Weekday
from .presence import StaffPresence, StaffStatus

__all__ = [
    "AvailabilityMode",
    "CitizenNotice",
    "ConsultationSession",
    "Conversation",
    "ConversationStatus",
    "Department",
    "GermanState",
    "Message",
    "OfficeHours",
    "OfficeHoursException",
    "OfficeHoursRange",
    "PublishedAnswer",
    "QueueEntry",
    "QueueStatus",
    "SenderType",
    "StaffPresence",
    "StaffStatus",
    "Weekday",
]
