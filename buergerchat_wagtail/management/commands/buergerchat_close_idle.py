"""``manage.py buergerchat_close_idle``: close inactive conversations now.

Run it from cron or a systemd timer (e.g. every minute) if the automatic schedule is
switched off (``BUERGERCHAT["IDLE_CHECK_INTERVAL"] = 0``). Prints the count only.
"""

from django.core.management.base import BaseCommand

from buergerchat_wagtail.casework.idle import close_idle


class Command(BaseCommand):
    help = "Close conversations whose citizen wrote nothing for the department's idle time after an answer."

    def handle(self, *args, **options):
        self.stdout.write(f"{close_idle()} conversation(s) closed.")
