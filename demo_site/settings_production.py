"""Production settings: the demo site's settings made safe for the internet.

Documented in docs/deployment.md. Every secret and address comes from the
environment (e.g. systemd's ``EnvironmentFile=/etc/buergerchat/env``); a missing
required variable stops the start with ImproperlyConfigured instead of falling
back to a demo value. ``manage.py check --deploy`` reports no issues with these
settings (tests/deploy/test_production_settings.py).

Required:

    DJANGO_SECRET_KEY            long random string (python -c "import secrets; print(secrets.token_urlsafe(50))")
    DJANGO_ALLOWED_HOSTS         www.musterstadt.de[,musterstadt.de]
    DATABASE_URL                 postgres://buergerchat:…@127.0.0.1:5432/buergerchat
    REDIS_URL                    redis://127.0.0.1:6379/0 (channel layer and shared cache)
    BUERGERCHAT_ENCRYPTION_KEYS  Fernet keys, newest first, comma-separated (docs/configuration.md)

Optional:

    DJANGO_CSRF_TRUSTED_ORIGINS  default: https://<each allowed host>
    BUERGERCHAT_ALLOWED_ORIGINS  origins of the chat pages, comma-separated; default:
                                 https://<each allowed host>
    BUERGERCHAT_CLAMD_SOCKET     clamd's socket, default /var/run/clamav/clamd.ctl
    BUERGERCHAT_TRUSTED_PROXIES  the reverse proxies in front of daphne, comma-separated;
                                 default 127.0.0.1,::1 (nginx on the same machine)
    DJANGO_HSTS_SECONDS          default 31536000 (one year); start lower while testing
    DJANGO_HSTS_PRELOAD          default "1": the HSTS header carries "preload". It takes effect
                                 only once someone submits the domain at hstspreload.org; "0"
                                 drops it (check --deploy then shows security.W021)
    WAGTAILADMIN_BASE_URL        https://www.musterstadt.de (links in e-mails)

TLS ends at nginx, which passes ``X-Forwarded-Proto`` (docs/deployment.md, section 6).
"""

import os

from django.core.exceptions import ImproperlyConfigured

REQUIRED = ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "BUERGERCHAT_ENCRYPTION_KEYS")
_missing = [name for name in REQUIRED if not os.environ.get(name)]
if _missing:
    raise ImproperlyConfigured("Production settings need the environment variable(s): " + ", ".join(_missing))

os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("BUERGERCHAT_CLAMD_SOCKET", "/var/run/clamav/clamd.ctl")

from demo_site.settings import *  # noqa: E402,F403
from demo_site.settings import BUERGERCHAT  # noqa: E402

DEBUG = False
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
ALLOWED_HOSTS = [host.strip() for host in os.environ["DJANGO_ALLOWED_HOSTS"].split(",") if host.strip()]
_site_origins = [f"https://{host.lstrip('.')}" for host in ALLOWED_HOSTS if host != "*"]
CSRF_TRUSTED_ORIGINS = [
    origin for origin in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", ",".join(_site_origins)).split(",") if origin
]

# HTTPS only. nginx ends TLS and sets X-Forwarded-Proto; Django (and the WebSocket
# origin check) trust it for the scheme. Never expose daphne without the proxy.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = os.environ.get("DJANGO_HSTS_PRELOAD", "1") == "1"

BUERGERCHAT = {
    **BUERGERCHAT,
    # A real malware scanner (ClamAV); NoScanner would be system check W003.
    "MALWARE_SCANNER": "buergerchat_wagtail.scanning.ClamdScanner",
    "CLAMAV": {"SOCKET": os.environ["BUERGERCHAT_CLAMD_SOCKET"]},
    "ENCRYPTION_KEYS": [key.strip() for key in os.environ["BUERGERCHAT_ENCRYPTION_KEYS"].split(",") if key.strip()],
    # The client address for the per-address limits: X-Forwarded-For read from the right.
    "TRUSTED_PROXIES": [
        proxy.strip() for proxy in os.environ.get("BUERGERCHAT_TRUSTED_PROXIES", "127.0.0.1,::1").split(",") if proxy.strip()
    ],
    "ALLOWED_ORIGINS": [
        origin for origin in os.environ.get("BUERGERCHAT_ALLOWED_ORIGINS", ",".join(_site_origins)).split(",") if origin
    ],
}
