"""Settings of the demo site: a Wagtail project as a city would run it.

Embedded default: SQLite and Channels' in-memory layer (one process, no servers).
Scale-out: set DATABASE_URL (PostgreSQL) and REDIS_URL (channels-redis).
"""

import json
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

from buergerchat_wagtail.channel_layers import MAX_CONNECTIONS, redis_channel_layer

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("BUERGERCHAT_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
# Demo only: production sets DJANGO_SECRET_KEY.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "demo-only-insecure-key-do-not-use-in-production")
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]

INSTALLED_APPS = [
    "daphne",
    "demo_site.home",
    "buergerchat_wagtail",
    "crispy_forms",
    "crispy_bootstrap5",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "django_tasks",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "channels",
    "csp",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # German or English from the browser's language (Accept-Language), German for
    # every other language. After the session (it reads it), before CommonMiddleware.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # django-csp's middleware with one scoped relaxation for the Wagtail admin (demo_site/csp.py).
    "demo_site.csp.AdminCSPMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "demo_site.urls"
ASGI_APPLICATION = "demo_site.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "demo_site" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'demo.sqlite3'}",
        # Keep connections per worker thread (a new PostgreSQL connection costs
        # milliseconds per message). No health checks: Channels closes old
        # connections before and after every database call, so each call would
        # send an extra "SELECT 1" (a third of the waiting in the profile). A
        # connection that breaks fails one call (the client is told "unavailable"
        # and retries) and is replaced.
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=False,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several threads of one daphne process write: wait instead of failing at once,
    # take the write lock at BEGIN (no lock upgrade deadlocks), and use the WAL journal
    # (readers do not block the writer; a commit costs no fsync of the main file).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        timeout=20,
        transaction_mode="IMMEDIATE",
        init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    )

if os.environ.get("REDIS_URL"):
    # Pool size and read timeout tuned for redis-py 8 (see buergerchat_wagtail/channel_layers.py).
    CHANNEL_LAYERS = {
        "default": redis_channel_layer(
            os.environ["REDIS_URL"],
            mode=os.environ.get("REDIS_CHANNEL_LAYER", "pubsub"),
            max_connections=int(os.environ.get("REDIS_MAX_CONNECTIONS", MAX_CONNECTIONS)),
        )
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "buergerchat_wagtail.channel_layers.InMemoryChannelLayer"}}

# Rate limits count in the cache: with several workers it must be shared (Redis).
if os.environ.get("REDIS_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["REDIS_URL"]}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "de"
LANGUAGES = [("de", "Deutsch"), ("en", "English")]
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

STATICFILES_DIRS = [BASE_DIR / "demo_site" / "static"]
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    # Chat attachments and transcripts: outside MEDIA_ROOT, never served by the web
    # server, only through the Bürgerchat views that check rights.
    "buergerchat": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": VAR_DIR / "private", "base_url": None},
    },
}

# Background jobs (django-tasks). The demo runs them right after the commit in the
# same process; production uses a queue backend with a worker (docs/deployment.md).
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

WAGTAIL_SITE_NAME = "Musterstadt"
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

BUERGERCHAT = {
    # With BUERGERCHAT_CLAMD_SOCKET set (e.g. /var/run/clamav/clamd.ctl), uploads are
    # scanned by ClamAV; the demo without it scans nothing, on purpose and visibly
    # (files are shown as "nicht auf Schadsoftware geprüft"; with DJANGO_DEBUG=0 the
    # system check buergerchat.W003 says so too).
    "MALWARE_SCANNER": (
        "buergerchat_wagtail.scanning.ClamdScanner"
        if os.environ.get("BUERGERCHAT_CLAMD_SOCKET")
        else "buergerchat_wagtail.scanning.NoScanner"
    ),
    "CLAMAV": {"SOCKET": os.environ["BUERGERCHAT_CLAMD_SOCKET"]} if os.environ.get("BUERGERCHAT_CLAMD_SOCKET") else {},
    # "Abteilung einrichten" creates the department's page as a content page with the
    # chat block in its body (the home page type offers the block too).
    "SETUP_PAGE_MODEL": "home.ContentPage",
    "SETUP_PAGE_FIELD": "body",
}
if os.environ.get("BUERGERCHAT_RESYNC_INTERVAL"):
    BUERGERCHAT["RESYNC_INTERVAL"] = int(os.environ["BUERGERCHAT_RESYNC_INTERVAL"])

# Content-free notification e-mails; the demo prints them instead of sending them.
EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "buergerchat@musterstadt.example")
# With DJANGO_EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend: the SMTP server.
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("DJANGO_EMAIL_PORT", "25"))

# Optional JSON overrides, e.g. BUERGERCHAT_JSON='{"MESSAGES_PER_MINUTE": 60}'.
# Production: set ENCRYPTION_KEYS (Fernet keys, newest first) from a secret store.
BUERGERCHAT.update(json.loads(os.environ.get("BUERGERCHAT_JSON") or "{}"))
if os.environ.get("BUERGERCHAT_ENCRYPTION_KEYS"):
    BUERGERCHAT["ENCRYPTION_KEYS"] = os.environ["BUERGERCHAT_ENCRYPTION_KEYS"].split(",")

# Strict Content Security Policy (django-csp): no inline or third-party scripts.
# WebSockets to the same host are covered by 'self' (CSP Level 3). Public pages, the
# widget and the API get exactly this policy; below /admin/ demo_site.csp allows
# Wagtail's inline <script> elements (script-src-elem 'unsafe-inline', nothing else),
# except on the login page, the inbox, conversations and live consultations, which
# stay strict. Why and how: docs/deployment.md, "Content Security Policy".
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "frame-ancestors": [SELF],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# No avatars from a third-party service in the admin.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
# No request to releases.wagtail.org from the editors' browsers (connect-src 'self'
# blocks it anyway); the city updates Wagtail through its own release process.
WAGTAIL_ENABLE_UPDATE_CHECK = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
    "loggers": {
        # DJANGO_LOG_LEVEL=DEBUG also shows the SQL log (with DJANGO_DEBUG=1).
        "django": {"level": os.environ.get("DJANGO_LOG_LEVEL", "INFO"), "propagate": True},
        "buergerchat_wagtail": {
            "handlers": ["console"],
            "level": os.environ.get("BUERGERCHAT_LOG_LEVEL", "INFO"),
            "propagate": False,
        },
    },
}
