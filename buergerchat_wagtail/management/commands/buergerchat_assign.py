"""``manage.py buergerchat_assign``: run the automatic assignment now.

Assigns waiting conversations of automatic departments to present case workers and
reassigns those of case workers absent too long (see casework/assignment.py). Run it
from cron or a systemd timer (e.g. every minute) if the automatic schedule is switched
off (``BUERGERCHAT["ASSIGNMENT_CHECK_INTERVAL"] = 0``). Prints the counts only.
"""

from django.core.management.base import BaseCommand

from buergerchat_wagtail.casework.assignment import balance


class Command(BaseCommand):
    help = "Assign waiting conversations of automatic departments and reassign those of absent case workers."

    def handle(self, *args, **options):
        assigned, reassigned = balance()
        self.stdout.write(f"{assigned} conversation(s) assigned, {reassigned} reassigned.")
