"""Inbox benchmark: the admin inbox on PostgreSQL with many conversations.

Run with the demo site's environment and DATABASE_URL pointing at a prepared
PostgreSQL database (bench.run does this):

    python -m bench.inbox CONVERSATIONS MESSAGES_PER_CONVERSATION

Fills the database with plain SQL (generate_series), then renders inbox pages as
the case worker `bauamt` in-process with Django's test client: server time and the
number of queries per page. Prints one JSON object.
"""

import json
import os
import statistics
import sys
import time

import django

REPEAT = 5


def fill(conversations, per_conversation):
    from django.db import connection

    from buergerchat_wagtail.models import Department

    department_ids = list(Department.objects.filter(slug__in=["bauverwaltung", "buergerbuero"]).values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO buergerchat_conversation
                (department_id, reference, subject, citizen_name, citizen_email, secret_hash, status,
                 created_at, last_activity_at, waiting_since,
                 citizen_read_up_to, staff_read_up_to, rating_comment, privacy_version)
            SELECT (ARRAY[%s, %s])[1 + i %% 2],
                   'BN-' || lpad(i::text, 9, '0'),
                   'Bench-Anliegen ' || i,
                   '', '',
                   encode(sha256(('bench' || i)::bytea), 'hex'),
                   (ARRAY['new', 'open', 'closed'])[1 + i %% 3],
                   now() - (i || ' minutes')::interval,
                   now() - (i || ' seconds')::interval,
                   CASE WHEN i %% 3 = 0 THEN now() - (i || ' seconds')::interval END,
                   0, 0, '', ''
            FROM generate_series(1, %s) AS i
            """,
            [department_ids[0], department_ids[-1], conversations],
        )
        cursor.execute(
            """
            INSERT INTO buergerchat_message
                (conversation_id, sender, author_id, body, client_id, created_at, internal, event, event_data)
            SELECT c.id,
                   CASE WHEN n %% 2 = 0 THEN 'citizen' ELSE 'staff' END,
                   NULL,
                   'Nachricht ' || n || ' zu ' || c.reference,
                   md5(c.id || '-' || n)::uuid,
                   c.created_at + (n || ' seconds')::interval,
                   false, '', '{}'::jsonb
            FROM buergerchat_conversation c CROSS JOIN generate_series(1, %s) AS n
            WHERE c.reference LIKE 'BN-%%'
            """,
            [per_conversation],
        )
        encrypt_in_place(cursor, "buergerchat_conversation", "subject", "reference LIKE 'BN-%%'")
        encrypt_in_place(
            cursor,
            "buergerchat_message",
            "body",
            "conversation_id IN (SELECT id FROM buergerchat_conversation WHERE reference LIKE 'BN-%%')",
        )
        # As autovacuum leaves a table in use: statistics, and a visibility map, without
        # which PostgreSQL's counts cannot use index-only scans.
        cursor.execute("VACUUM (ANALYZE) buergerchat_conversation")
        cursor.execute("VACUUM (ANALYZE) buergerchat_message")


def encrypt_in_place(cursor, table, column, where, batch=50_000):
    """Subjects and message texts are encrypted at rest (crypto.py): the rows made by
    SQL get Fernet tokens, as the application would have stored them. The tokens go
    in by COPY into a temporary table and one UPDATE per batch (a million rows take
    minutes this way, hours with one UPDATE per row)."""
    from buergerchat_wagtail import crypto

    cursor.execute(f"SELECT id, {column} FROM {table} WHERE {where}")
    rows = cursor.fetchall()
    cursor.execute("CREATE TEMPORARY TABLE bench_tokens (id bigint PRIMARY KEY, token text)")
    for start in range(0, len(rows), batch):
        with cursor.cursor.copy("COPY bench_tokens (id, token) FROM STDIN") as copy:
            for pk, value in rows[start : start + batch]:
                copy.write_row((pk, crypto.encrypt_str(value)))
        cursor.execute(f"UPDATE {table} AS t SET {column} = b.token FROM bench_tokens AS b WHERE t.id = b.id")
        cursor.execute("TRUNCATE bench_tokens")
    cursor.execute("DROP TABLE bench_tokens")


def measure(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings = []
    queries = None
    spent = {}

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent[sql] = spent.get(sql, 0.0) + (time.perf_counter() - started) * 1000

    for _ in range(REPEAT):
        with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(timed):
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        queries = len(captured)
    slowest = sorted(spent.items(), key=lambda item: -item[1])[:3]
    return {
        "url": url,
        "median_ms": round(statistics.median(timings), 2),
        "max_ms": round(max(timings), 2),
        "queries": queries,
        # Where the time goes: the three slowest statements, ms per page view.
        "slowest_queries": [{"ms": round(ms / REPEAT, 2), "sql": sql[:300]} for sql, ms in slowest],
        "queries_ms": round(sum(spent.values()) / REPEAT, 2),
    }


def main(conversations, per_conversation):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo_site.settings")
    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    started = time.perf_counter()
    fill(conversations, per_conversation)
    fill_seconds = time.perf_counter() - started
    client = Client()
    client.force_login(get_user_model().objects.get(username="bauamt"))
    client.get("/admin/buergerchat/")  # warm caches (templates, permissions)
    pages = [
        measure(client, "/admin/buergerchat/"),
        measure(client, "/admin/buergerchat/?p=100"),
        measure(client, "/admin/buergerchat/?status=new"),
        measure(client, "/admin/buergerchat/?q=BN-000004711"),
        measure(client, "/admin/buergerchat/results/"),
    ]
    print(
        json.dumps(
            {
                "conversations": conversations,
                "messages": conversations * per_conversation,
                "fill_seconds": round(fill_seconds, 1),
                "pages": pages,
            }
        )
    )


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
