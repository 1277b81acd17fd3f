"""Thumbnails of images sent in a chat: made from the re-encoded image when the scan
releases it, encrypted at rest, served with the rights of the file itself."""

import io
import uuid

import pytest
from django.core.management import call_command
from django.test import Client
from PIL import Image

from buergerchat_wagtail.conversations import payloads
from buergerchat_wagtail.files import attachments
from buergerchat_wagtail.files.storage import private_storage, raw_private_storage
from buergerchat_wagtail.files.thumbnails import MAX_SIDE, make_thumbnail
from buergerchat_wagtail.models import Attachment, ScanStatus
from tests.files import jpeg_with_gps, pdf_bytes, png_bytes, upload

pytestmark = pytest.mark.django_db

API = "/buergerchat/api/v1"
SECRET = "HTTP_X_BUERGERCHAT_SECRET"


@pytest.fixture
def run_jobs(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def big_jpeg_with_gps(size=(1200, 800)):
    image = Image.new("RGB", size, (20, 120, 60))
    exif = Image.Exif()
    exif[0x0110] = "Testkamera 3000"
    exif.get_ifd(0x8825)[2] = (49.0, 19.0, 12.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def send(client, secret, name, content):
    payload = {"file": upload(name, content), "client_id": str(uuid.uuid4())}
    return client.post(f"{API}/attachments", payload, **{SECRET: secret})


@pytest.fixture
def image_chat(dept_a, start_conversation, run_jobs):
    conversation, secret = start_conversation(dept_a, name="Erika Muster")
    with run_jobs():
        frame = send(Client(), secret, "Garten hinten.jpg", big_jpeg_with_gps()).json()
    # The ack was built before the scan job ran (on commit): the payload as it is now.
    attachment = Attachment.objects.get(pk=frame["message"]["attachment"]["id"])
    return conversation, secret, payloads.attachment_payload(attachment, payloads.CITIZEN)


def test_thumbnail_is_made_from_the_stored_image_when_released(image_chat):
    conversation, _secret, payload = image_chat
    attachment = Attachment.objects.get(pk=payload["id"])
    assert attachment.status == ScanStatus.CLEAN
    assert attachment.thumbnail_name.startswith("buergerchat/thumbnails/")
    assert (attachment.thumbnail_width, attachment.thumbnail_height) == (MAX_SIDE, 213)
    # Encrypted at rest like the file: the raw storage holds no JPEG.
    with raw_private_storage().open(attachment.thumbnail_name, "rb") as raw:
        assert not raw.read().startswith(b"\xff\xd8")
    with private_storage().open(attachment.thumbnail_name, "rb") as fileobj:
        content = fileobj.read()
    with Image.open(io.BytesIO(content)) as thumbnail:
        assert thumbnail.format == "JPEG" and max(thumbnail.size) == MAX_SIDE
        assert not thumbnail.getexif()
    assert b"Testkamera" not in content
    assert payload["thumbnail"] == {
        "url": f"{API}/attachments/{attachment.pk}/thumbnail",
        "width": MAX_SIDE,
        "height": 213,
    }


def test_pdfs_and_quarantined_images_have_no_thumbnail(dept_a, start_conversation, run_jobs):
    _conversation, secret = start_conversation(dept_a)
    with run_jobs():
        pdf = send(Client(), secret, "plan.pdf", pdf_bytes()).json()["message"]["attachment"]
    stored = Attachment.objects.get(pk=pdf["id"])
    assert stored.status == ScanStatus.CLEAN and not stored.thumbnail_name
    assert payloads.attachment_payload(stored, payloads.CITIZEN)["thumbnail"] is None
    pending = send(Client(), secret, "foto.png", png_bytes()).json()["message"]["attachment"]  # not scanned yet
    assert pending["status"] == "pending" and pending["thumbnail"] is None
    attachment = attachments.scan_attachment(pending["id"])
    assert attachment.thumbnail_name and attachment.thumbnail_width == 32  # small images keep their size


def test_thumbnail_keeps_png_transparency():
    content, width, height = make_thumbnail(png_bytes((640, 320)), "png")
    with Image.open(io.BytesIO(content)) as image:
        assert image.format == "PNG" and image.mode == "RGBA" and (width, height) == (320, 160)


def test_citizen_gets_own_thumbnail_only(image_chat, dept_b, start_conversation):
    _conversation, secret, payload = image_chat
    _other, other_secret = start_conversation(dept_b)
    url = payload["thumbnail"]["url"]
    client = Client()
    response = client.get(url, **{SECRET: secret})
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert Image.open(io.BytesIO(b"".join(response.streaming_content))).size == (MAX_SIDE, 213)
    # another citizen, no secret, an unknown id
    forbidden = client.get(url, **{SECRET: other_secret})
    assert forbidden.status_code == 403 and forbidden.json()["code"] == "forbidden"
    assert client.get(url).status_code == 401
    assert client.get(f"{API}/attachments/999999/thumbnail", **{SECRET: secret}).status_code == 403


def test_citizen_thumbnail_of_a_pdf_or_a_removed_image(image_chat, dept_a, run_jobs):
    conversation, secret, payload = image_chat
    client = Client()
    with run_jobs():
        pdf = send(client, secret, "plan.pdf", pdf_bytes()).json()["message"]["attachment"]
    response = client.get(f"{API}/attachments/{pdf['id']}/thumbnail", **{SECRET: secret})
    assert response.status_code == 404 and response.json()["code"] == "no_thumbnail"
    Attachment.objects.filter(pk=payload["id"]).update(status=ScanStatus.INFECTED, storage_name="")
    assert client.get(payload["thumbnail"]["url"], **{SECRET: secret}).status_code == 410


def test_staff_thumbnail_only_for_own_department(image_chat, worker_a, worker_b, superuser, plain_user):
    _conversation, _secret, payload = image_chat
    url = f"/admin/buergerchat/attachments/{payload['id']}/thumbnail/"
    for user, status in ((worker_a, 200), (superuser, 200), (worker_b, 403), (plain_user, 302)):
        client = Client()
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == status, user
        if status == 200:
            assert response["Content-Type"] == "image/jpeg"
            assert response["X-Content-Type-Options"] == "nosniff"
            assert "no-store" in response["Cache-Control"]
    unknown = Client()
    unknown.force_login(worker_a)
    assert unknown.get("/admin/buergerchat/attachments/999999/thumbnail/").status_code == 403
    assert Client().get(url).status_code == 302


def test_staff_payload_and_conversation_view_show_the_thumbnail(image_chat, worker_a):
    conversation, _secret, payload = image_chat
    client = Client()
    client.force_login(worker_a)
    page = client.get(f"/admin/buergerchat/conversations/{conversation.pk}/").content.decode()
    thumbnail = f"/admin/buergerchat/attachments/{payload['id']}/thumbnail/"
    assert f'src="{thumbnail}"' in page
    assert 'alt="Garten hinten.jpg"' in page


def test_thumbnail_is_deleted_with_the_attachment(image_chat, django_capture_on_commit_callbacks):
    _conversation, _secret, payload = image_chat
    attachment = Attachment.objects.get(pk=payload["id"])
    name = attachment.thumbnail_name
    assert private_storage().exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        attachment.delete()
    assert not private_storage().exists(name)


def test_scan_command_makes_missing_thumbnails(image_chat):
    _conversation, _secret, payload = image_chat
    attachment = Attachment.objects.get(pk=payload["id"])
    private_storage().delete(attachment.thumbnail_name)
    Attachment.objects.filter(pk=attachment.pk).update(thumbnail_name="", thumbnail_width=None, thumbnail_height=None)
    out = io.StringIO()
    call_command("buergerchat_scan", "--thumbnails", stdout=out)
    assert "thumbnails made: 1" in out.getvalue()
    attachment.refresh_from_db()
    assert attachment.has_thumbnail and attachment.thumbnail_width == MAX_SIDE
    call_command("buergerchat_scan", "--thumbnails", stdout=out)
    assert "thumbnails made: 0" in out.getvalue()
