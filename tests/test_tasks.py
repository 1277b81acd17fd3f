"""With a real queue backend (django-tasks' database backend and its worker), no
request renders a PDF or scans a file: requests only enqueue jobs, the worker
does the work, and the results appear afterwards."""

import io
import uuid

import pytest
from django.core.management import call_command
from django.test import Client
from django_tasks_db.models import DBTaskResult

from buergerchat_wagtail.models import Attachment, ScanStatus, Transcript, TranscriptKind
from tests.files import pdf_bytes, upload

pytestmark = pytest.mark.django_db

API = "/buergerchat/api/v1"
SECRET = "HTTP_X_BUERGERCHAT_SECRET"


@pytest.fixture(autouse=True)
def database_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def ours():
    """Jobs of this app (Wagtail enqueues its own search and reference index jobs too)."""
    return DBTaskResult.objects.filter(task_path__startswith="buergerchat_wagtail.")


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0.1", stdout=io.StringIO(), stderr=io.StringIO())


def test_citizen_transcript_is_rendered_by_the_worker(dept_a, start_conversation, django_capture_on_commit_callbacks):
    conversation, secret = start_conversation(dept_a)
    client = Client()
    for _ in range(3):  # the widget asks every 2 seconds: one job only
        with django_capture_on_commit_callbacks(execute=True):
            response = client.get(f"{API}/transcript", **{SECRET: secret})
        assert response.status_code == 202
    assert ours().count() == 1
    assert not Transcript.objects.exists()
    run_worker()
    assert ours().get().status == "SUCCESSFUL"
    response = client.get(f"{API}/transcript", **{SECRET: secret})
    assert response.status_code == 200
    assert Transcript.objects.get().kind == TranscriptKind.CITIZEN


def test_archive_and_scan_wait_for_the_worker(dept_a, worker_a, start_conversation, django_capture_on_commit_callbacks):
    conversation, secret = start_conversation(dept_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            f"{API}/attachments", {"file": upload("plan.pdf", pdf_bytes()), "client_id": str(uuid.uuid4())}, **{SECRET: secret}
        )
    assert response.status_code == 201
    assert response.json()["message"]["attachment"]["status"] == "pending"
    staff = Client()
    staff.force_login(worker_a)
    with django_capture_on_commit_callbacks(execute=True):
        assert staff.post(f"/admin/buergerchat/conversations/{conversation.pk}/archive/").status_code == 302
    assert not Transcript.objects.exists()
    assert Attachment.objects.get().status == ScanStatus.PENDING
    run_worker()
    assert Attachment.objects.get().status == ScanStatus.CLEAN
    transcript = Transcript.objects.archived().get()
    assert transcript.created_by == worker_a
    assert set(ours().values_list("status", flat=True)) == {"SUCCESSFUL"}
    assert ours().count() == 2
