"""Background jobs (django-tasks, as Wagtail itself uses). Arguments are JSON-safe."""

from django_tasks import task


@task()
def purge_expired_conversations(dry_run=False):
    """Delete conversations past their department's retention period (retention.py).

    Enqueued at most once per ``PURGE_INTERVAL_HOURS`` by :func:`retention.schedule_purge`
    and also run by ``manage.py buergerchat_purge``. Returns counts only.
    """
    from .retention import purge_expired

    return purge_expired(dry_run=dry_run).as_dict()
