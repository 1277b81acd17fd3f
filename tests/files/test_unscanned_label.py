"""Without a real malware scanner (NoScanner), a released file is shown as "not
checked for malware", never as "checked": in the payloads of both sides, the admin
thread, the PDF transcript's attachment list, and the system check warns."""

import uuid

import pytest
from django.core import checks
from django.test import Client, override_settings
from django.utils import translation

from buergerchat_wagtail.checks import check_attachments
from buergerchat_wagtail.conversations import payloads
from buergerchat_wagtail.files import attachments, fonts, pdf
from buergerchat_wagtail.files.scanning import ClamdScanner, NoScanner, ScanResult
from buergerchat_wagtail.models import ScanStatus, SenderType
from tests.files import pdf_bytes, upload

pytestmark = pytest.mark.django_db

NO_SCANNER = {"MALWARE_SCANNER": "buergerchat_wagtail.scanning.NoScanner"}


def stored_attachment(conversation):
    message, _created = attachments.store_attachment(
        conversation=conversation,
        sender=SenderType.CITIZEN,
        uploaded=upload("Bauplan.pdf", pdf_bytes()),
        client_id=uuid.uuid4(),
    )
    return message.attachment


@pytest.fixture
def chat(dept_a, start_conversation):
    return start_conversation(dept_a)


@override_settings(BUERGERCHAT=NO_SCANNER)
def test_no_scanner_release_is_labelled_not_checked(chat, worker_a):
    conversation, _secret = chat
    attachment = attachments.scan_attachment(stored_attachment(conversation).pk)
    assert attachment.status == ScanStatus.CLEAN and attachment.is_available
    with translation.override("de"):
        for audience in (payloads.CITIZEN, payloads.STAFF):
            data = payloads.attachment_payload(attachment, audience)
            assert data["status_label"] == "nicht auf Schadsoftware geprüft"
            assert data["malware_checked"] is False
        assert pdf.attachment_row(attachment, fonts.TextGuard())["status_label"] == "nicht auf Schadsoftware geprüft"
        client = Client()
        client.force_login(worker_a)
        html = client.get(f"/admin/buergerchat/conversations/{conversation.pk}/").content.decode()
    assert "nicht auf Schadsoftware geprüft" in html


def test_scanned_release_is_labelled_checked(chat, monkeypatch):
    conversation, _secret = chat
    monkeypatch.setattr(ClamdScanner, "scan", lambda self, fileobj: ScanResult(clean=True, detail="ClamAV: OK"))
    with override_settings(BUERGERCHAT={"MALWARE_SCANNER": "buergerchat_wagtail.scanning.ClamdScanner"}):
        attachment = attachments.scan_attachment(stored_attachment(conversation).pk)
    with translation.override("de"):
        data = payloads.attachment_payload(attachment, payloads.CITIZEN)
    assert data["status_label"] == "auf Schadsoftware geprüft"
    assert data["malware_checked"] is True


def test_noscanner_says_it_did_not_scan():
    assert NoScanner().scan(None).scanned is False


@pytest.mark.parametrize(
    "debug, scanner, expected",
    [
        (False, "buergerchat_wagtail.scanning.NoScanner", ["buergerchat.W003"]),
        (True, "buergerchat_wagtail.scanning.NoScanner", []),
        (False, "buergerchat_wagtail.scanning.ClamdScanner", []),
        (False, None, ["buergerchat.W002"]),
    ],
)
def test_system_check_warns_without_a_real_scanner_outside_debug(debug, scanner, expected):
    with override_settings(DEBUG=debug, BUERGERCHAT={"MALWARE_SCANNER": scanner} if scanner else {}):
        found = [message.id for message in check_attachments(None) if message.level == checks.WARNING]
    assert found == expected
