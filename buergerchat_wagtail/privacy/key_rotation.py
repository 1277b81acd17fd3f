"""Key rotation: re-encrypt every encrypted column and private file with the newest
key of ``BUERGERCHAT["ENCRYPTION_KEYS"]`` (``manage.py buergerchat_rotate_keys``)."""

from django.apps import apps
from django.db import connections, router, transaction

from buergerchat_wagtail.crypto import rotate_str
from buergerchat_wagtail.fields import EncryptedTextMixin
from buergerchat_wagtail.files.storage import private_storage
from buergerchat_wagtail.models import Attachment, Transcript


def encrypted_columns():
    """``[(model, [field, ...]), ...]`` of every installed model with encrypted fields."""
    found = []
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextMixin)]
        if fields:
            found.append((model, fields))
    return found


def rotate_model(model, fields, *, dry_run=False, batch_size=500):
    """Re-encrypt the given columns of every row with the newest key (raw SQL, in
    batches, one transaction per batch). Returns the number of values rotated."""
    alias = router.db_for_write(model)
    connection = connections[alias]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk = quote(model._meta.pk.column)
    columns = [quote(f.column) for f in fields]
    rotated = 0
    last = None
    while True:
        with transaction.atomic(using=alias), connection.cursor() as cursor:
            where, params = (f"WHERE {pk} > %s", [last]) if last is not None else ("", [])
            cursor.execute(
                f"SELECT {pk}, {', '.join(columns)} FROM {table} {where} ORDER BY {pk} LIMIT %s",
                params + [batch_size],
            )
            rows = cursor.fetchall()
            for row in rows:
                updates = {}
                for column, value in zip(columns, row[1:]):
                    if value:
                        updates[column] = rotate_str(value)  # InvalidToken: no key fits
                if updates and not dry_run:
                    assignments = ", ".join(f"{column} = %s" for column in updates)
                    cursor.execute(f"UPDATE {table} SET {assignments} WHERE {pk} = %s", [*updates.values(), row[0]])
                rotated += len(updates)
        if len(rows) < batch_size:
            return rotated
        last = rows[-1][0]


def rotate_private_files(*, dry_run):
    """Re-encrypt every attachment file, thumbnail and PDF with the newest key."""
    storage = private_storage()
    names = [n for n in Attachment.objects.exclude(storage_name="").values_list("storage_name", flat=True)]
    names += list(Attachment.objects.exclude(thumbnail_name="").values_list("thumbnail_name", flat=True))
    names += list(Transcript.objects.exclude(storage_name="").values_list("storage_name", flat=True))
    count = 0
    for name in names:
        if not storage.exists(name):
            continue
        if dry_run:
            with storage.open(name) as f:  # proves that a key fits
                f.read()
        else:
            storage.rotate_file(name)
        count += 1
    return count
