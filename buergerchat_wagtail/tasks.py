"""Deprecated import path of the background tasks, kept so that jobs queued by an
earlier version (django-tasks stores the task's dotted path) still run. New code
imports each task from its domain module; this module will be removed in 1.0."""

from buergerchat_wagtail.casework.assignment import balance_assignments
from buergerchat_wagtail.casework.idle import close_idle_conversations
from buergerchat_wagtail.conversations.notifications import notify_citizen, notify_department
from buergerchat_wagtail.files.attachments import scan_attachment_task
from buergerchat_wagtail.files.transcripts import archive_conversation_task, citizen_transcript_task
from buergerchat_wagtail.jobs import enqueue_on_commit
from buergerchat_wagtail.privacy.retention import purge_expired_conversations

__all__ = [
    "archive_conversation_task",
    "balance_assignments",
    "citizen_transcript_task",
    "close_idle_conversations",
    "enqueue_on_commit",
    "notify_citizen",
    "notify_department",
    "purge_expired_conversations",
    "scan_attachment_task",
]
