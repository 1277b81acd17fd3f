from .canned_answers import CannedAnswer
from .conversations import Conversation, ConversationStatus, Message, SenderType
from .departments import Department, StaffNameDisplay
from .read_markers import ReadMarker

__all__ = [
    "CannedAnswer",
    "Conversation",
    "ConversationStatus",
    "Department",
    "Message",
    "ReadMarker",
    "SenderType",
    "StaffNameDisplay",
]
