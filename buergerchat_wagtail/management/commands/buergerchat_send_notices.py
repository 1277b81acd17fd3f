"""``manage.py buergerchat_send_notices``: send the due e-mail notices of answers now.

Needed only with a task backend that cannot defer jobs when the automatic schedule
on socket pings is switched off (``BUERGERCHAT["NOTICE_CHECK_INTERVAL"] = 0``): run
it from cron or a systemd timer, e.g. every minute. Prints the count only.
"""

from django.core.management.base import BaseCommand

from buergerchat_wagtail.conversations.notifications import send_due_notices


class Command(BaseCommand):
    help = "Send the due e-mail notices of answers (content-free) to citizens who asked for them."

    def handle(self, *args, **options):
        self.stdout.write(f"{send_due_notices()} notice(s) sent.")
