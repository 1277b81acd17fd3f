"""Many conversations at once, for query-count and report tests (bulk inserts, no
broadcasts), and the number of queries of one page."""

import datetime
import uuid

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from buergerchat_wagtail.models import Conversation, ConversationStatus, Message, SenderType
from buergerchat_wagtail.models.conversations import hash_secret


def make_conversations(department, count, *, author=None, assignee=None, now=None):
    """``count`` conversations in ``department``: a mix of new, answered, waiting and
    closed-and-rated ones, each with a citizen message (and a reply and a note when answered)."""
    now = now or timezone.now()
    conversations = []
    for index in range(count):
        created = now - datetime.timedelta(hours=index + 1)
        answered = index % 3 != 0
        closed = index % 4 == 0 and answered
        conversations.append(
            Conversation(
                department=department,
                subject=f"Anliegen Nummer {index}",
                citizen_name=f"Bürger {index}",
                secret_hash=hash_secret(str(uuid.uuid4())),
                status=ConversationStatus.CLOSED if closed else (ConversationStatus.OPEN if answered else ConversationStatus.NEW),
                created_at=created,
                last_activity_at=created + datetime.timedelta(minutes=30),
                waiting_since=None if answered else created,
                first_response_at=created + datetime.timedelta(minutes=10 + index % 7) if answered else None,
                closed_at=created + datetime.timedelta(minutes=45) if closed else None,
                rating=(index % 5) + 1 if closed else None,
                assignee=assignee if index % 2 else None,
            )
        )
    conversations = Conversation.objects.bulk_create(conversations)
    messages = []
    for conversation in conversations:
        messages.append(
            Message(conversation=conversation, sender=SenderType.CITIZEN, body="Frage", created_at=conversation.created_at)
        )
        if conversation.first_response_at:
            messages.append(
                Message(
                    conversation=conversation,
                    sender=SenderType.STAFF,
                    author=author,
                    body="Antwort",
                    created_at=conversation.first_response_at,
                )
            )
            messages.append(
                Message(
                    conversation=conversation,
                    sender=SenderType.STAFF,
                    author=author,
                    body="Notiz",
                    internal=True,
                    created_at=conversation.first_response_at,
                )
            )
    Message.objects.bulk_create(messages)
    return conversations


def count_queries(client, url):
    """The number of database queries of one GET of ``url`` (streamed bodies read to the end)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        assert response.status_code == 200
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
    return len(queries)
