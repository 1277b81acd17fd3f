"""System checks and defaults of the settings: unknown keys, scanner choice, private storage."""

import pytest
from django.core.files.storage import storages

from buergerchat_wagtail.checks import check_attachments, check_settings
from buergerchat_wagtail.files.storage import raw_private_storage
from buergerchat_wagtail.files.uploads import check_size
from buergerchat_wagtail.protocol.frames import ProtocolError


def ids(messages):
    return {message.id for message in messages}


def all_checks():
    return check_settings(None) + check_attachments(None)


def test_demo_settings_pass(settings):
    assert not ids(all_checks()) & {"buergerchat.E002", "buergerchat.E003", "buergerchat.W002"}


def test_missing_scanner_is_warned(settings):
    settings.BUERGERCHAT = {}
    assert "buergerchat.W002" in ids(all_checks())


def test_missing_storage_is_an_error(settings):
    settings.STORAGES = {k: v for k, v in settings.STORAGES.items() if k != "buergerchat"}
    assert "buergerchat.E002" in ids(all_checks())


def test_storage_inside_media_root_is_an_error(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = {
        **settings.STORAGES,
        "buergerchat": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media" / "private")},
        },
    }
    assert "buergerchat.E003" in ids(all_checks())
    settings.STORAGES = {
        **settings.STORAGES,
        "buergerchat": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private")},
        },
    }
    assert "buergerchat.E003" not in ids(all_checks())


@pytest.mark.parametrize(
    "value",
    [{"MAX_UPLOAD_BYTES": 0}, {"MAX_IMAGE_PIXELS": "many"}, {"CLAMAV": {"SOKET": "/x"}}, {"CLAMAV": "x"}],
)
def test_invalid_values_are_errors(settings, value):
    settings.BUERGERCHAT = {"MALWARE_SCANNER": "buergerchat_wagtail.scanning.NoScanner", **value}
    assert "buergerchat.E001" in ids(all_checks())


@pytest.mark.django_db
def test_defaults_cap_uploads_at_50_mb_and_keep_files_in_the_buergerchat_storage(dept_a):
    """Without a BUERGERCHAT setting (the PDF language's default, German, is checked
    in tests/files/test_pdf.py)."""
    dept_a.max_attachment_mb = 100
    assert check_size(50 * 1024 * 1024, dept_a) == 50 * 1024 * 1024
    with pytest.raises(ProtocolError) as refused:
        check_size(50 * 1024 * 1024 + 1, dept_a)
    assert refused.value.code == "attachment_too_large"
    assert raw_private_storage() is storages["buergerchat"]


def test_unknown_setting_is_a_system_check_error(settings):
    from buergerchat_wagtail.checks import check_settings

    settings.BUERGERCHAT = {"NOPE": 1}
    errors = check_settings(None)
    assert [e.id for e in errors] == ["buergerchat.E001"]
    assert "NOPE" in errors[0].msg
    settings.BUERGERCHAT = {}
    assert check_settings(None) == []
