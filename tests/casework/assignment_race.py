"""Run by tests/casework/test_assignment.py in a process of its own, against a fresh
PostgreSQL database (SQLite would serialise the two starts by itself): two citizens
start a conversation at the same moment, in two threads with their own connections.
The window between reading who has room and assigning is widened on purpose; only
the department's row lock keeps both from getting the same free place. Prints JSON."""

import json
import os
import threading
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo_site.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection  # noqa: E402

from buergerchat_wagtail.availability import presence  # noqa: E402
from buergerchat_wagtail.casework import assignment  # noqa: E402
from buergerchat_wagtail.commands import citizen  # noqa: E402
from buergerchat_wagtail.models import AssignmentMode, Conversation, Department  # noqa: E402

WINDOW = 0.3

original_init = assignment._Turn.__init__


def slow_init(self, department, now):
    original_init(self, department, now)
    time.sleep(WINDOW)  # both starts have read the counts before either assigns, unless locked


def two_at_once(department):
    barrier = threading.Barrier(2)
    started = []

    def run(n):
        try:
            barrier.wait()
            conversation, _secret = citizen.start(department=department, text=f"Gleichzeitige Frage {n}")
            started.append(conversation.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(Conversation.objects.filter(pk__in=started).values_list("assignee_id", flat=True), key=str)


def main():
    assert connection.vendor == "postgresql", connection.vendor
    assignment._Turn.__init__ = slow_init
    group = Group.objects.create(name="Wettlauf")
    department = Department.objects.create(
        name="Wettlauf", slug="wettlauf", group=group, assignment_mode=AssignmentMode.AUTOMATIC, assignment_capacity=1
    )
    User = get_user_model()
    workers = []
    for name in ("erste", "zweite"):
        user = User.objects.create_user(username=f"race-{name}", password="pw")
        user.groups.add(group)
        presence.register(f"race-{name}", user)
        workers.append(user.pk)
    first_round = two_at_once(department)  # one each
    second_round = two_at_once(department)  # both full: nobody
    print(json.dumps({"workers": workers, "first": first_round, "second": second_round}))


if __name__ == "__main__":
    main()
