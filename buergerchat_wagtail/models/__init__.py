from .conversations import Conversation, ConversationStatus, Message, SenderType
from .departments import Department

__all__ = ["Conversation", "ConversationStatus", "Department", "Message", "SenderType"]
