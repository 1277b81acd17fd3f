"""Settings and system checks for attachments: scanner choice, private storage."""

import pytest

from buergerchat_wagtail.checks import check_attachments, check_settings
from buergerchat_wagtail.conf import buergerchat_settings


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


def test_defaults():
    buergerchat_settings.reload()
    assert buergerchat_settings.STORAGE == "buergerchat"
    assert buergerchat_settings.MAX_UPLOAD_BYTES == 50 * 1024 * 1024
    assert buergerchat_settings.PDF_LANGUAGE == "de"
