"""Run by tests/conversations/test_statements.py in a process of its own, against a
fresh PostgreSQL database: eight threads (own connections) resend one client id at the
same moment; then eight threads send into one conversation while a reader polls
"messages after the highest id I saw" (ids must never appear below what it saw).
Prints JSON."""

import json
import os
import threading
import uuid

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo_site.settings")
django.setup()

from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from buergerchat_wagtail.conversations import services, statements  # noqa: E402
from buergerchat_wagtail.models import Conversation, Department, Message, SenderType  # noqa: E402

THREADS = 8
PER_THREAD = 25


def field_values(instance):
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


def in_threads(target):
    barrier = threading.Barrier(THREADS)
    results = []

    def run(n):
        try:
            barrier.wait()
            results.append(target(n))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def main():
    assert connection.vendor == "postgresql", connection.vendor
    department = Department.objects.create(name="Parallel", slug="parallel", group=Group.objects.create(name="Parallel"))
    conversation, _ = services.start_conversation(department=department, text="Gleichzeitig")
    with transaction.atomic():
        same = field_values(statements.LOCK_CONVERSATION.fetch(conversation.pk)) == field_values(
            Conversation.objects.lock(conversation.pk)
        )

    client_id = uuid.uuid4()
    created = in_threads(
        lambda n: services.post_message(conversation=conversation.pk, sender=SenderType.CITIZEN, body="Einmal", client_id=client_id)[1]
    )
    resend = {
        "created": created.count(True),
        "duplicates": created.count(False),
        "rows": Message.objects.filter(conversation=conversation, client_id=client_id).count(),
    }

    done = threading.Event()
    late = []

    def reader():
        seen = 0
        known = set()
        try:
            while not done.is_set():
                ids = list(Message.objects.filter(conversation=conversation).values_list("pk", flat=True))
                for pk in ids:
                    if pk not in known:
                        known.add(pk)
                        if pk < seen:
                            late.append(pk)
                seen = max(ids, default=seen)
        finally:
            connection.close()

    watcher = threading.Thread(target=reader)
    watcher.start()
    def send_many(n):
        ids = [uuid.uuid4() for _ in range(PER_THREAD)]
        for k, message_id in enumerate(ids):
            services.post_message(conversation=conversation.pk, sender=SenderType.CITIZEN, body=f"{n}-{k}", client_id=message_id)
        return ids

    sent = [message_id for ids in in_threads(send_many) for message_id in ids]
    done.set()
    watcher.join()
    stored = Message.objects.filter(conversation=conversation, client_id__in=sent).count()
    print(json.dumps({
        "vendor": connection.vendor,
        "same_as_orm": same,
        "resend": resend,
        "sent": len(sent),
        "stored": stored,
        "late_lower_ids": len(late),
    }))


if __name__ == "__main__":
    main()
