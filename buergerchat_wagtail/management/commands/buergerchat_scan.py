"""Scan attachments that are still in quarantine (for example after clamd was down);
with ``--thumbnails``, also make the previews of images released before they existed."""

from django.core.management.base import BaseCommand

from buergerchat_wagtail.files.attachments import add_missing_thumbnails, rescan_pending
from buergerchat_wagtail.models import ScanStatus


class Command(BaseCommand):
    help = "Scan every attachment still waiting in quarantine and release or remove it."

    def add_arguments(self, parser):
        parser.add_argument(
            "--thumbnails", action="store_true", help="Also make missing thumbnails of released images."
        )

    def handle(self, *args, **options):
        results = rescan_pending()
        counts = {status: 0 for status in ScanStatus.values}
        for attachment in results:
            if attachment is not None:
                counts[attachment.status] += 1
        self.stdout.write(
            "scanned {total}: {clean} released, {infected} removed, {failed} still waiting (scanner error)".format(
                total=len(results),
                clean=counts[ScanStatus.CLEAN],
                infected=counts[ScanStatus.INFECTED],
                failed=counts[ScanStatus.FAILED] + counts[ScanStatus.PENDING],
            )
        )
        if options["thumbnails"]:
            self.stdout.write(f"thumbnails made: {add_missing_thumbnails()}")
