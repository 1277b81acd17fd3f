"""Attachments over HTTP (citizen API and staff admin views, with the rights checks)
and the attachment messages and scan results pushed to the right sockets."""

import uuid

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from buergerchat_wagtail.files import attachments
from buergerchat_wagtail.models import Attachment, ScanStatus, SenderType
from tests.conftest import citizen_socket, receive_type, staff_socket
from tests.files import elf_bytes, jpeg_with_gps, pdf_bytes, upload

pytestmark = pytest.mark.django_db

API = "/buergerchat/api/v1"
SECRET = "HTTP_X_BUERGERCHAT_SECRET"


@pytest.fixture
def client():
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def chat(dept_a, start_conversation):
    conversation, secret = start_conversation(dept_a, name="Erika Muster")
    return conversation, secret


@pytest.fixture
def other_chat(dept_b, start_conversation):
    return start_conversation(dept_b)


@pytest.fixture
def run_jobs(django_capture_on_commit_callbacks):
    """Run on-commit callbacks (the scan job with the immediate backend) as a real request would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def citizen_upload(client, secret, name, content, client_id=None, **data):
    payload = {"file": upload(name, content), "client_id": str(client_id or uuid.uuid4()), **data}
    return client.post(f"{API}/attachments", payload, **{SECRET: secret})


@pytest.mark.django_db(transaction=True)
def test_citizen_uploads_a_pdf_and_gets_an_ack(client, chat):
    # Committed for real, as in production: the scan job (immediate backend) runs
    # after the commit and before the answer is built.
    conversation, secret = chat
    client_id = uuid.uuid4()
    response = citizen_upload(client, secret, "Bauplan.pdf", pdf_bytes(), client_id, body="Hier der Plan")
    assert response.status_code == 201, response.content
    frame = response.json()
    assert frame["type"] == "ack" and frame["client_id"] == str(client_id)
    attachment = frame["message"]["attachment"]
    assert frame["message"]["body"] == "Hier der Plan"
    assert attachment["name"] == "Bauplan.pdf"
    assert attachment["content_type"] == "application/pdf"
    assert attachment["status"] == "clean"
    assert attachment["url"] == f"{API}/attachments/{attachment['id']}"
    # a resend with the same client id is stored once
    again = citizen_upload(client, secret, "Bauplan.pdf", pdf_bytes(), client_id)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert Attachment.objects.filter(conversation=conversation).count() == 1


def test_renamed_program_is_refused_over_http(client, chat):
    _conversation, secret = chat
    client_id = uuid.uuid4()
    response = citizen_upload(client, secret, "Rechnung.pdf", elf_bytes(), client_id)
    assert response.status_code == 400
    frame = response.json()
    assert frame["code"] == "attachment_executable"
    assert frame["field"] == "file"
    assert frame["ref"] == str(client_id)
    assert not Attachment.objects.exists()


def test_upload_errors(client, chat, dept_a):
    _conversation, secret = chat
    response = client.post(f"{API}/attachments", {"client_id": str(uuid.uuid4())}, **{SECRET: secret})
    assert response.status_code == 400 and response.json()["code"] == "attachment_missing"
    response = client.post(f"{API}/attachments", {"file": upload("a.pdf", pdf_bytes()), "client_id": "x"}, **{SECRET: secret})
    assert response.status_code == 400 and response.json()["field"] == "client_id"
    response = client.post(f"{API}/attachments", data=b"{}", content_type="application/json", **{SECRET: secret})
    assert response.status_code == 400 and response.json()["code"] == "invalid_request"
    dept_a.max_attachment_mb = 1
    dept_a.save()
    big = pdf_bytes() + b"%" + b"x" * (2 * 1024 * 1024)
    response = citizen_upload(client, secret, "gross.pdf", big)
    assert response.status_code == 413 and response.json()["code"] == "attachment_too_large"
    response = citizen_upload(client, "wrong-secret", "a.pdf", pdf_bytes())
    assert response.status_code == 401


def test_download_headers_and_stripped_exif(client, chat, run_jobs):
    _conversation, secret = chat
    with run_jobs():
        frame = citizen_upload(client, secret, "Foto vom Grundstück.jpg", jpeg_with_gps()).json()
    url = frame["message"]["attachment"]["url"]
    response = client.get(url, **{SECRET: secret})
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "Foto" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    content = b"".join(response.streaming_content)
    assert b"Testkamera" not in content
    import io

    from PIL import Image

    assert not Image.open(io.BytesIO(content)).getexif().get_ifd(0x8825)


def test_another_citizen_and_no_secret_get_no_file(client, chat, other_chat, run_jobs):
    _conversation, secret = chat
    _other, other_secret = other_chat
    with run_jobs():
        url = citizen_upload(client, secret, "plan.pdf", pdf_bytes()).json()["message"]["attachment"]["url"]
    response = client.get(url, **{SECRET: other_secret})
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert client.get(url).status_code == 401
    # an unknown id answers like a foreign one
    assert client.get(f"{API}/attachments/999999", **{SECRET: secret}).status_code == 403


def test_file_in_quarantine_or_removed_is_not_offered(client, chat):
    conversation, secret = chat
    response = citizen_upload(client, secret, "plan.pdf", pdf_bytes())  # no job run: still pending
    frame = response.json()
    assert frame["message"]["attachment"]["status"] == "pending"
    url = frame["message"]["attachment"]["url"]
    response = client.get(url, **{SECRET: secret})
    assert response.status_code == 409 and response.json()["code"] == "attachment_not_ready"
    Attachment.objects.filter(conversation=conversation).update(status=ScanStatus.INFECTED, storage_name="")
    response = client.get(url, **{SECRET: secret})
    assert response.status_code == 410 and response.json()["code"] == "attachment_removed"


def test_staff_download_only_for_own_department(chat, run_jobs, worker_a, worker_b, superuser, plain_user):
    _conversation, secret = chat
    with run_jobs():
        attachment_id = citizen_upload(Client(), secret, "plan.pdf", pdf_bytes()).json()["message"]["attachment"]["id"]
    url = f"/admin/buergerchat/attachments/{attachment_id}/"
    # plain_user has no admin access at all: Wagtail sends them to the login page.
    for user, status in ((worker_a, 200), (superuser, 200), (worker_b, 403), (plain_user, 302)):
        client = Client()
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == status, user
        if status == 200:
            assert response["Content-Disposition"].startswith("attachment;")
            assert response["X-Content-Type-Options"] == "nosniff"
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/admin/login/")


def test_staff_upload_json_and_form(chat, worker_a, worker_b, run_jobs):
    conversation, _secret = chat
    url = f"/admin/buergerchat/conversations/{conversation.pk}/attachments/"
    client = Client()
    client.force_login(worker_a)
    with run_jobs():
        response = client.post(
            url,
            {"file": upload("Bescheid.pdf", pdf_bytes()), "client_id": str(uuid.uuid4())},
            HTTP_ACCEPT="application/json",
        )
    assert response.status_code == 201, response.content
    message = response.json()["message"]
    assert message["sender"] == "staff" and message["author"] == "Berta Baumann"
    assert message["attachment"]["url"] == f"/admin/buergerchat/attachments/{message['attachment']['id']}/"
    refused = client.post(url, {"file": upload("x.pdf", elf_bytes()), "client_id": str(uuid.uuid4())}, HTTP_ACCEPT="application/json")
    assert refused.status_code == 400 and refused.json()["code"] == "attachment_executable"
    form = client.post(url, {"file": upload("x.pdf", elf_bytes()), "client_id": str(uuid.uuid4())}, follow=True)
    assert form.redirect_chain[-1][0] == f"/admin/buergerchat/conversations/{conversation.pk}/"
    assert "Programme können nicht gesendet werden" in form.content.decode()
    other = Client()
    other.force_login(worker_b)
    response = other.post(url, {"file": upload("a.pdf", pdf_bytes()), "client_id": str(uuid.uuid4())})
    assert response.status_code == 403


def test_staff_upload_needs_csrf(chat, worker_a):
    conversation, _secret = chat
    client = Client(enforce_csrf_checks=True)
    client.force_login(worker_a)
    response = client.post(
        f"/admin/buergerchat/conversations/{conversation.pk}/attachments/",
        {"file": upload("a.pdf", pdf_bytes()), "client_id": str(uuid.uuid4())},
    )
    assert response.status_code == 403
    assert not Attachment.objects.exists()


def test_conversation_view_shows_attachments_and_upload_form(chat, worker_a, run_jobs):
    conversation, secret = chat
    with run_jobs():
        citizen_upload(Client(), secret, "Lageplan.pdf", pdf_bytes())
    client = Client()
    client.force_login(worker_a)
    html = client.get(f"/admin/buergerchat/conversations/{conversation.pk}/").content.decode()
    assert "Lageplan.pdf" in html
    assert 'accept="application/pdf,image/jpeg,image/png"' in html
    assert "data-bc-close-form" in html and "data-bc-archive-form" in html


def test_widget_offers_upload_and_transcript(chat_page):
    html = Client().get(chat_page.url).content.decode()
    assert "data-bc-upload-form" in html
    assert "data-bc-transcript" in html
    assert 'data-bc-upload-url="/buergerchat/api/v1/attachments"' in html
    assert 'data-bc-max-attachment-bytes="10485760"' in html


def test_widget_without_attachment_types_has_no_upload(chat_page, dept_a):
    dept_a.attachment_types = []
    dept_a.save()
    html = Client().get(chat_page.url).content.decode()
    assert "data-bc-upload-form" not in html


def test_inbox_preview_names_the_file_of_a_file_only_message(chat, worker_a):
    _conversation, secret = chat
    citizen_upload(Client(), secret, "Grundriss.pdf", pdf_bytes())
    client = Client()
    client.force_login(worker_a)
    assert "📎 Grundriss.pdf" in client.get("/admin/buergerchat/").content.decode()


def test_deleting_a_conversation_deletes_its_files(chat, run_jobs):
    from buergerchat_wagtail.files.storage import private_storage

    conversation, secret = chat
    with run_jobs():
        citizen_upload(Client(), secret, "plan.pdf", pdf_bytes())
    name = Attachment.objects.get().storage_name
    assert private_storage().exists(name)
    with run_jobs():
        conversation.delete()
    assert not Attachment.objects.exists()
    assert not private_storage().exists(name)


# --------------------------------------------------------------------------- pushed to the sockets


@pytest.mark.django_db(transaction=True)
async def test_attachment_message_and_release_are_pushed(open_socket, dept_a, worker_a, worker_b, start_conversation):
    conversation, secret = await sync_to_async(start_conversation)(dept_a)
    citizen, _ready = await citizen_socket(open_socket, secret)
    staff, _hello = await staff_socket(open_socket, worker_a)
    await staff.send_json_to({"v": 1, "type": "subscribe", "conversation": conversation.pk})
    await receive_type(staff, "ready")
    stranger, _hello = await staff_socket(open_socket, worker_b)

    def store():
        return attachments.store_attachment(
            conversation=conversation,
            sender=SenderType.CITIZEN,
            uploaded=upload("Antrag.pdf", pdf_bytes()),
            client_id=uuid.uuid4(),
        )[0]

    message = await sync_to_async(store)()
    frame = await receive_type(citizen, "message", skip=())
    assert frame["message"]["id"] == message.pk
    assert frame["message"]["attachment"]["status"] == "pending"
    released = await receive_type(citizen, "attachment", skip=())
    assert released["message"] == message.pk
    assert released["attachment"]["status"] == "clean"
    assert released["attachment"]["url"].startswith("/buergerchat/api/v1/attachments/")
    staff_frame = await receive_type(staff, "attachment", skip=("message", "conversation"))
    assert staff_frame["conversation"] == conversation.pk
    assert staff_frame["attachment"]["url"].startswith("/admin/buergerchat/attachments/")
    # worker_b (another department) hears nothing: the next frame is the answer to a ping.
    await stranger.send_json_to({"v": 1, "type": "ping"})
    assert (await receive_type(stranger, "pong", skip=()))["type"] == "pong"
