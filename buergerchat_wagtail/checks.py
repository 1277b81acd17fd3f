from pathlib import Path

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage, InvalidStorageError, storages
from django.utils.module_loading import import_string

from buergerchat_wagtail import crypto
from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.editor.setup import chat_page_type
from buergerchat_wagtail.files.scanning import NoScanner
from buergerchat_wagtail.realtime.origin import parse_origin


@checks.register()
def check_settings(app_configs, **kwargs):
    errors = []
    try:
        buergerchat_settings.reload()
        buergerchat_settings.MAX_MESSAGE_LENGTH  # noqa: B018  (forces validation)
    except ImproperlyConfigured as exc:
        errors.append(checks.Error(str(exc), id="buergerchat.E001"))
    if "*" in getattr(settings, "ALLOWED_HOSTS", []) and not settings.DEBUG:
        errors.append(
            checks.Warning(
                "ALLOWED_HOSTS contains '*': the WebSocket origin check then accepts "
                "sockets from pages of any host that sends itself as the Host header.",
                hint="List the site's host names in ALLOWED_HOSTS.",
                id="buergerchat.W001",
            )
        )
    if not errors:
        errors += check_allowed_origins()
    return errors


def check_allowed_origins():
    bad = [origin for origin in buergerchat_settings.ALLOWED_ORIGINS if parse_origin(origin) is None]
    if bad:
        return [
            checks.Error(
                "BUERGERCHAT['ALLOWED_ORIGINS'] contains entries that are not origins: " + ", ".join(map(repr, bad)),
                hint="Write each origin as scheme and host, with a port only if it is not the default, "
                "e.g. 'https://www.musterstadt.de' (no path, no trailing slash).",
                id="buergerchat.E004",
            )
        ]
    return []


@checks.register()
def check_setup_page(app_configs, **kwargs):
    """The page type and StreamField of "Abteilung einrichten" (editor/setup.py)."""
    try:
        buergerchat_settings.reload()
        buergerchat_settings.SETUP_PAGE_MODEL  # noqa: B018  (forces validation)
    except ImproperlyConfigured:
        return []  # reported as buergerchat.E001
    try:
        chat_page_type()
    except ImproperlyConfigured as exc:
        return [
            checks.Error(
                str(exc),
                hint="Name a page type and its StreamField whose blocks include ChatBlock, e.g. "
                'BUERGERCHAT = {"SETUP_PAGE_MODEL": "home.ContentPage", "SETUP_PAGE_FIELD": "body"}; '
                "or set both to None to let the setup form find the only one.",
                id="buergerchat.E005",
            )
        ]
    return []


@checks.register()
def check_encryption_keys(app_configs, **kwargs):
    errors = []
    try:
        crypto.reset()
        crypto.encrypt_str("check")
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="buergerchat.E010")]
    if crypto.uses_derived_key() and not settings.DEBUG:
        errors.append(
            checks.Warning(
                "BUERGERCHAT['ENCRYPTION_KEYS'] is empty: messages, names and e-mail addresses are "
                "encrypted with a key derived from SECRET_KEY, so changing SECRET_KEY makes them unreadable.",
                hint="Generate a key with Fernet.generate_key(), set it in ENCRYPTION_KEYS, then run "
                "manage.py buergerchat_rotate_keys (see docs/configuration.md).",
                id="buergerchat.W010",
            )
        )
    return errors


@checks.register()
def check_attachments(app_configs, **kwargs):
    """Private storage and malware scanner (reported only when the settings are valid)."""
    try:
        buergerchat_settings.reload()
        buergerchat_settings.STORAGE  # noqa: B018  (forces validation)
    except ImproperlyConfigured:
        return []  # reported as buergerchat.E001
    errors = check_private_storage()
    scanner = (getattr(settings, "BUERGERCHAT", {}) or {}).get("MALWARE_SCANNER")
    if not scanner:
        errors.append(
            checks.Warning(
                "No malware scanner is configured: uploaded files are offered without a scan.",
                hint='Set BUERGERCHAT["MALWARE_SCANNER"] to "buergerchat_wagtail.scanning.ClamdScanner", '
                'or to "buergerchat_wagtail.scanning.NoScanner" if files are scanned elsewhere.',
                id="buergerchat.W002",
            )
        )
    elif not settings.DEBUG and _is_no_scanner(scanner):
        errors.append(
            checks.Warning(
                "BUERGERCHAT['MALWARE_SCANNER'] is NoScanner: uploaded files are offered without a malware "
                "scan (staff and citizens see them as not checked for malware).",
                hint='Use "buergerchat_wagtail.scanning.ClamdScanner" (see docs/attachments-archive.md). If files '
                'are really scanned elsewhere, list "buergerchat.W003" in SILENCED_SYSTEM_CHECKS.',
                id="buergerchat.W003",
            )
        )
    return errors


def _is_no_scanner(path):
    try:
        scanner_class = import_string(path)
    except ImportError:
        return False
    return isinstance(scanner_class, type) and issubclass(scanner_class, NoScanner)


def _inside(path, parent):
    try:
        Path(path).resolve().relative_to(Path(parent).resolve())
        return True
    except ValueError:
        return False


def check_private_storage():
    """Attachments and transcripts must live in a storage the web server does not serve."""
    alias = buergerchat_settings.STORAGE
    try:
        storage = storages[alias]
    except InvalidStorageError:
        return [
            checks.Error(
                f"The storage {alias!r} for attachments and transcripts is not defined in STORAGES.",
                hint='Add a private storage, e.g. STORAGES["buergerchat"] = {"BACKEND": '
                '"django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": "/srv/buergerchat-private", '
                '"base_url": None}}',
                id="buergerchat.E002",
            )
        ]
    if isinstance(storage, FileSystemStorage):
        for name in ("MEDIA_ROOT", "STATIC_ROOT"):
            public = getattr(settings, name, None)
            if public and _inside(storage.location, public):
                return [
                    checks.Error(
                        f"The storage {alias!r} for attachments and transcripts lies inside {name}, "
                        "where the web server may serve the files without any rights check.",
                        hint="Choose a directory outside MEDIA_ROOT and STATIC_ROOT.",
                        id="buergerchat.E003",
                    )
                ]
    return []
