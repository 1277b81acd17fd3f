"""``manage.py buergerchat_rotate_keys [--dry-run]``: re-encrypt with the newest key.

Key rotation: put a new key first in ``BUERGERCHAT["ENCRYPTION_KEYS"]`` (keep the
old ones after it), deploy, run this command, then remove the old keys.
"""

from django.core.management.base import BaseCommand, CommandError

from buergerchat_wagtail import crypto
from buergerchat_wagtail.privacy import key_rotation


class Command(BaseCommand):
    help = "Re-encrypt all encrypted Bürgerchat data (database fields and private files) with the newest key."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Decrypt and count, but write nothing.")
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, dry_run=False, batch_size=500, **options):
        if crypto.uses_derived_key():
            self.stdout.write(
                self.style.WARNING("No ENCRYPTION_KEYS configured: rotating to the key derived from SECRET_KEY.")
            )
        total = 0
        try:
            for model, fields in key_rotation.encrypted_columns():
                count = key_rotation.rotate_model(model, fields, dry_run=dry_run, batch_size=batch_size)
                total += count
                self.stdout.write(f"{model._meta.label}: {count} value(s) {'checked' if dry_run else 're-encrypted'}")
            count = key_rotation.rotate_private_files(dry_run=dry_run)
            total += count
            self.stdout.write(f"private_files: {count} item(s) {'checked' if dry_run else 're-encrypted'}")
        except crypto.InvalidToken:
            raise CommandError(
                "A stored value cannot be decrypted with any configured key. Add the old key back to "
                "BUERGERCHAT['ENCRYPTION_KEYS'] (after the new one) and run the command again."
            ) from None
        self.stdout.write(self.style.SUCCESS(f"Done: {total} value(s) {'checked' if dry_run else 're-encrypted'}."))
