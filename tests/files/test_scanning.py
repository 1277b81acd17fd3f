"""Malware scanning against a real clamd with a signature database made here.

The fixture writes a ClamAV hash signature (.hdb: MD5, size, name) for a test PDF,
starts clamd on a unix socket in a temporary directory (no freshclam, no
network) and stops it afterwards. Without clamd the tests skip with the reason;
CI installs clamav-daemon and fails on any skip.
"""

import hashlib
import io
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from buergerchat_wagtail.files import attachments
from buergerchat_wagtail.files.scanning import ClamdScanner, NoScanner, ScannerError, get_scanner
from buergerchat_wagtail.files.storage import private_storage
from buergerchat_wagtail.models import ScanStatus, SenderType
from tests.files import pdf_bytes, upload

CLAMD = shutil.which("clamd") or "/usr/sbin/clamd"
INFECTED_PDF = pdf_bytes("Bürgerchat Testvirus – harmlos")
SIGNATURE = "Buergerchat.Test.Malware"


@pytest.fixture(scope="session")
def clamd():
    if not os.path.exists(CLAMD):
        pytest.skip(f"No clamd at {CLAMD} (apt-get install clamav-daemon)")
    work = Path(tempfile.mkdtemp(prefix="bc-clamd-"))
    (work / "db").mkdir()
    md5 = hashlib.md5(INFECTED_PDF).hexdigest()  # noqa: S324  (ClamAV's .hdb format)
    (work / "db" / "buergerchat-test.hdb").write_text(f"{md5}:{len(INFECTED_PDF)}:{SIGNATURE}\n")
    socket_path = work / "clamd.sock"
    (work / "clamd.conf").write_text(
        "\n".join(
            [
                f"LocalSocket {socket_path}",
                f"DatabaseDirectory {work / 'db'}",
                f"TemporaryDirectory {work}",
                f"PidFile {work / 'clamd.pid'}",
                f"LogFile {work / 'clamd.log'}",
                "Foreground yes",
                "StreamMaxLength 2M",
                "Bytecode no",
                "",
            ]
        )
    )
    process = subprocess.Popen(
        [CLAMD, "-c", str(work / "clamd.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    scanner = ClamdScanner(socket_path=str(socket_path), timeout=10)
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            log = (work / "clamd.log").read_text(errors="replace") if (work / "clamd.log").exists() else ""
            pytest.fail(f"clamd exited with {process.returncode}: {log[-2000:]}")
        try:
            if socket_path.exists() and scanner.ping():
                break
        except ScannerError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("clamd did not answer PING within 60 s")
        time.sleep(0.2)
    yield socket_path
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    shutil.rmtree(work, ignore_errors=True)


@pytest.fixture
def clamav_settings(settings, clamd):
    settings.BUERGERCHAT = {
        "MALWARE_SCANNER": "buergerchat_wagtail.scanning.ClamdScanner",
        "CLAMAV": {"SOCKET": str(clamd), "TIMEOUT": 10},
    }
    return clamd


def test_clamd_finds_the_test_signature_and_passes_other_files(clamav_settings):
    scanner = get_scanner()
    assert isinstance(scanner, ClamdScanner)
    result = scanner.scan(io.BytesIO(INFECTED_PDF))
    assert not result.clean
    assert result.detail.startswith(SIGNATURE)
    assert scanner.scan(io.BytesIO(pdf_bytes("sauber"))).clean


def test_clamd_stream_limit_is_an_error_not_a_pass(clamav_settings):
    with pytest.raises(ScannerError):
        get_scanner().scan(io.BytesIO(b"%PDF-1.4\n" + os.urandom(3 * 1024 * 1024)))


def test_unreachable_clamd_is_an_error(tmp_path):
    with pytest.raises(ScannerError):
        ClamdScanner(socket_path=str(tmp_path / "none.sock"), timeout=1).scan(io.BytesIO(b"x"))


def test_no_scanner_passes_and_says_so():
    assert NoScanner().scan(io.BytesIO(b"x")).detail == "not scanned"


def _store(conversation, content, name="plan.pdf"):
    message, created = attachments.store_attachment(
        conversation=conversation, sender=SenderType.CITIZEN, uploaded=upload(name, content), client_id=uuid.uuid4()
    )
    assert created
    return message.attachment


@pytest.mark.django_db
def test_infected_upload_waits_in_quarantine_and_is_removed(
    clamav_settings, dept_a, start_conversation, django_capture_on_commit_callbacks
):
    conversation, _secret = start_conversation(dept_a)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        attachment = _store(conversation, INFECTED_PDF)
    # Before the scan job ran: in quarantine, not downloadable.
    assert attachment.status == ScanStatus.PENDING
    quarantined = attachment.storage_name
    assert quarantined.startswith("buergerchat/quarantine/")
    assert private_storage().exists(quarantined)
    assert not attachment.is_available
    for callback in callbacks:
        callback()
    attachment.refresh_from_db()
    assert attachment.status == ScanStatus.INFECTED
    assert attachment.scan_detail.startswith(SIGNATURE)
    assert attachment.storage_name == ""
    assert not private_storage().exists(quarantined)  # deleted, never offered


@pytest.mark.django_db
def test_clean_upload_is_released_from_quarantine(
    clamav_settings, dept_a, start_conversation, django_capture_on_commit_callbacks
):
    conversation, _secret = start_conversation(dept_a)
    with django_capture_on_commit_callbacks(execute=True):
        attachment = _store(conversation, pdf_bytes("sauber"))
    attachment.refresh_from_db()
    assert attachment.status == ScanStatus.CLEAN
    assert attachment.scan_detail == "ClamAV: OK"
    assert attachment.storage_name.startswith("buergerchat/files/")
    assert private_storage().open(attachment.storage_name).read() == pdf_bytes("sauber")


@pytest.mark.django_db
def test_scanner_down_keeps_the_file_in_quarantine_until_a_rescan(
    settings, clamd, tmp_path, dept_a, start_conversation, django_capture_on_commit_callbacks
):
    settings.BUERGERCHAT = {
        "MALWARE_SCANNER": "buergerchat_wagtail.scanning.ClamdScanner",
        "CLAMAV": {"SOCKET": str(tmp_path / "down.sock"), "TIMEOUT": 1},
    }
    conversation, _secret = start_conversation(dept_a)
    with django_capture_on_commit_callbacks(execute=True):
        attachment = _store(conversation, pdf_bytes("später"))
    attachment.refresh_from_db()
    assert attachment.status == ScanStatus.FAILED
    assert attachment.storage_name.startswith("buergerchat/quarantine/")
    settings.BUERGERCHAT = {"MALWARE_SCANNER": "buergerchat_wagtail.scanning.ClamdScanner", "CLAMAV": {"SOCKET": str(clamd)}}
    from django.core.management import call_command

    call_command("buergerchat_scan", stdout=io.StringIO())
    attachment.refresh_from_db()
    assert attachment.status == ScanStatus.CLEAN
