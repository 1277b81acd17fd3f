"""Archive every closed conversation that has no current PDF/A transcript.

Each conversation is archived and committed on its own, so an interrupted run
(Ctrl+C, a crash, a deploy) loses at most the one in progress: run the command
again and it continues with the conversations still left.
"""

import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from buergerchat_wagtail.files.transcripts import archive_conversation, conversations_to_archive
from buergerchat_wagtail.models import Department

BAR_WIDTH = 30


class ProgressBar:
    """A one-line progress bar on a terminal; plain lines otherwise (logs, CI)."""

    def __init__(self, stream, total, enabled):
        self.stream = stream
        self.total = total
        self.enabled = enabled
        self.started = time.monotonic()
        self.tty = enabled and hasattr(stream, "isatty") and stream.isatty()

    def update(self, done, label=""):
        if not self.enabled:
            return
        fraction = done / self.total if self.total else 1
        filled = int(BAR_WIDTH * fraction)
        elapsed = time.monotonic() - self.started
        line = f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{self.total} {fraction:4.0%} {elapsed:6.1f}s {label}"
        if self.tty:
            self.stream.write("\r" + line.ljust(BAR_WIDTH + 40), ending="")
            self.stream.flush()
        else:
            self.stream.write(line)

    def finish(self):
        if self.tty:
            self.stream.write("")


class Command(BaseCommand):
    help = "Archive closed conversations without a current PDF/A transcript (resumable)."

    def add_arguments(self, parser):
        parser.add_argument("--department", help="only this department (slug)")
        parser.add_argument("--limit", type=int, default=0, help="archive at most this many conversations")
        parser.add_argument("--dry-run", action="store_true", help="only count what would be archived")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, department=None, limit=0, dry_run=False, no_progress=False, **options):
        queryset = conversations_to_archive()
        if department:
            if not Department.objects.filter(slug=department).exists():
                raise CommandError(f"No department with the slug {department!r}.")
            queryset = queryset.filter(department__slug=department)
        ids = list(queryset.values_list("pk", flat=True))
        if limit > 0:
            ids = ids[:limit]
        self.stdout.write(f"{len(ids)} conversation(s) to archive.")
        if dry_run or not ids:
            return
        bar = ProgressBar(self.stdout, len(ids), enabled=not no_progress and options.get("verbosity", 1) > 0)
        done = failed = 0
        try:
            for index, conversation_id in enumerate(ids, start=1):
                try:
                    with transaction.atomic():
                        archive_conversation(conversation_id)
                    done += 1
                except Exception as exc:  # noqa: BLE001  (one bad conversation must not stop the batch)
                    failed += 1
                    self.stderr.write(f"conversation {conversation_id}: {exc.__class__.__name__}: {exc}")
                bar.update(index, f"#{conversation_id}")
        except KeyboardInterrupt:
            bar.finish()
            self.stdout.write(f"Interrupted after {done} archived. Run the command again to continue.")
            sys.exit(130)
        bar.finish()
        self.stdout.write(self.style.SUCCESS(f"{done} archived, {failed} failed."))
        if failed:
            raise CommandError(f"{failed} conversation(s) could not be archived; see above.")
