"""``manage.py buergerchat_purge [--dry-run]``: delete expired conversations now.

Run it from cron or a systemd timer if the automatic schedule is switched off
(``BUERGERCHAT["PURGE_INTERVAL_HOURS"] = 0``). Prints counts, never contents.
"""

from django.core.management.base import BaseCommand

from buergerchat_wagtail.privacy.retention import purge_expired


class Command(BaseCommand):
    help = "Delete closed conversations whose department's retention period has passed."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count what would be deleted; change nothing."
        )

    def handle(self, *args, dry_run=False, **options):
        result = purge_expired(dry_run=dry_run)
        verb = "would be deleted" if dry_run else "deleted"
        self.stdout.write(f"{result.conversations} conversation(s) {verb}.")
        for name, value in sorted(result.counts.items()):
            self.stdout.write(f"  {name}: {value}")
        if result.blocked:
            ids = ", ".join(str(pk) for pk in result.blocked_ids[:50])
            more = " …" if len(result.blocked_ids) > 50 else ""
            self.stdout.write(
                self.style.WARNING(
                    f"{result.blocked} conversation(s) kept: their department requires an archive "
                    f"before deletion and none exists (ids: {ids}{more})."
                )
            )
