from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured


@checks.register()
def check_settings(app_configs, **kwargs):
    from .conf import buergerchat_settings

    errors = []
    try:
        buergerchat_settings.reload()
        buergerchat_settings.MAX_MESSAGE_LENGTH  # noqa: B018  (forces validation)
    except ImproperlyConfigured as exc:
        errors.append(checks.Error(str(exc), id="buergerchat.E001"))
    if "*" in getattr(settings, "ALLOWED_HOSTS", []) and not settings.DEBUG:
        errors.append(
            checks.Warning(
                "ALLOWED_HOSTS contains '*': the WebSocket origin check "
                "(AllowedHostsOriginValidator) then accepts sockets from any site.",
                hint="List the site's host names in ALLOWED_HOSTS.",
                id="buergerchat.W001",
            )
        )
    return errors


@checks.register()
def check_encryption_keys(app_configs, **kwargs):
    from . import crypto

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
