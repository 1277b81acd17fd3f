"""``manage.py buergerchat_rotate_keys [--dry-run]``: re-encrypt with the newest key.

Key rotation: put a new key first in ``BUERGERCHAT["ENCRYPTION_KEYS"]`` (keep the
old ones after it), deploy, run this command, then remove the old keys.
"""

from django.core.management.base import BaseCommand, CommandError

from buergerchat_wagtail import crypto


class Command(BaseCommand):
    help = "Re-encrypt all encrypted Bürgerchat data (database fields and registered files) with the newest key."

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
            for model, fields in crypto.encrypted_columns():
                count = crypto.rotate_model(model, fields, dry_run=dry_run, batch_size=batch_size)
                total += count
                self.stdout.write(f"{model._meta.label}: {count} value(s) {'checked' if dry_run else 're-encrypted'}")
            for name, hook in crypto.rotation_hooks().items():
                count = int(hook(dry_run=dry_run) or 0)
                total += count
                self.stdout.write(f"{name}: {count} item(s) {'checked' if dry_run else 're-encrypted'}")
        except crypto.InvalidToken:
            raise CommandError(
                "A stored value cannot be decrypted with any configured key. Add the old key back to "
                "BUERGERCHAT['ENCRYPTION_KEYS'] (after the new one) and run the command again."
            ) from None
        self.stdout.write(self.style.SUCCESS(f"Done: {total} value(s) {'checked' if dry_run else 're-encrypted'}."))
