"""Settings and system checks for attachments: scanner choice, private storage."""

import pytest

from buergerchat_wagtail.checks import check_settings
from buergerchat_wagtail.conf import buergerchat_settings


def ids(messages):
    return {message.id for message in messages}


def test_demo_settings_pass(settings):
    assert not ids(check_settings(None)) & {"buergerchat.E002", "buergerchat.E003", "buergerchat.W002"}


def test_missing_scanner_is_warned(settings):
    settings.BUERGERCHAT = {}
    assert "buergerchat.W002" in ids(check_settings(None))


def test_missing_storage_is_an_error(settings):
    settings.STORAGES = {k: v for k, v in settings.STORAGES.items() if k != "buergerchat"}
    assert "buergerchat.E002" in ids(check_settings(None))


def test_storage_inside_media_root_is_an_error(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = {
        **settings.STORAGES,
        "buergerchat": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media" / "private")},
        },
    }
    assert "buergerchat.E003" in ids(check_settings(None))
    settings.STORAGES = {
        **settings.STORAGES,
        "buergerchat": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private")},
        },
    }
    assert "buergerchat.E003" not in ids(check_settings(None))


@pytest.mark.parametrize(
    "value",
    [{"MAX_UPLOAD_BYTES": 0}, {"MAX_IMAGE_PIXELS": "many"}, {"CLAMAV": {"SOKET": "/x"}}, {"CLAMAV": "x"}],
)
def test_invalid_values_are_errors(settings, value):
    settings.BUERGERCHAT = {"MALWARE_SCANNER": "buergerchat_wagtail.scanning.NoScanner", **value}
    assert "buergerchat.E001" in ids(check_settings(None))


def test_defaults():
    buergerchat_settings.reload()
    assert buergerchat_settings.STORAGE == "buergerchat"
    assert buergerchat_settings.MAX_UPLOAD_BYTES == 50 * 1024 * 1024
    assert buergerchat_settings.PDF_LANGUAGE == "de"
