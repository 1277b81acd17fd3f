"""The ``BUERGERCHAT`` settings dict: defaults, validation and reload on change.

Projects override single keys::

    BUERGERCHAT = {"MAX_MESSAGE_LENGTH": 2000}

Unknown keys are rejected (a typo must not silently fall back to a default).
"""

import ipaddress

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

DEFAULTS = {
    # Longest message a citizen or a case worker may send, in characters.
    "MAX_MESSAGE_LENGTH": 4000,
    # Largest WebSocket text frame the consumers accept, in bytes (UTF-8).
    "MAX_FRAME_BYTES": 32 * 1024,
    # Longest subject shown in the inbox (taken from the first line of the "Anliegen").
    "SUBJECT_LENGTH": 80,
    # How many messages a (re)connecting client receives at most per sync.
    "SYNC_BATCH_SIZE": 500,
    # Wrong secrets the citizen sockets of one client address may send within
    # AUTH_FAILURE_WINDOW seconds; the last one closes the socket with 4429, and until
    # the window ends that address's sockets cannot authenticate.
    "MAX_AUTH_FAILURES": 5,
    "AUTH_FAILURE_WINDOW": 900,
    # Seconds a citizen socket may stay open without authenticating (closed with 4408).
    "AUTH_TIMEOUT_SECONDS": 10,
    # Origins (scheme, host, port) whose pages may open the sockets, e.g.
    # ["https://www.musterstadt.de", "https://musterstadt.de"]. Empty: only the
    # socket's own origin (its scheme and Host header; see realtime/origin.py).
    "ALLOWED_ORIGINS": [],
    # Seconds between the clients' background resyncs (sync/ping frames): they re-join
    # channel groups a restarted Redis forgot and fetch anything a dropped event missed.
    "RESYNC_INTERVAL": 15,
    # Milliseconds a staff socket collects inbox updates (``conversation`` events of its
    # departments) before sending them: one ``conversations`` frame for a burst instead
    # of one frame per message (docs/performance.md). 0: each update at once.
    "INBOX_COALESCE_MS": 200,
    # URL path prefix of the WebSocket routes (see routing.py).
    "WEBSOCKET_PATH": "ws/buergerchat/",
    # Encryption at rest (crypto.py): Fernet keys, newest first. Empty: one key derived
    # from SECRET_KEY (system check buergerchat.W010 warns when DEBUG is off).
    "ENCRYPTION_KEYS": [],
    # Rate limits (ratelimit.py). 0 switches a limit off.
    "MESSAGES_PER_MINUTE": 20,  # per conversation and sender side
    "CONVERSATIONS_PER_HOUR": 10,  # started per client (keyed hash of the address)
    "UPLOADS_PER_HOUR": 30,  # per conversation and sender side (used by attachments)
    # Consultation queues (consultations/queue.py). 0 switches a cap off.
    "QUEUE_MAX_PER_CLIENT": 1,  # open entries (waiting or talking) per client and session
    "QUEUE_MAX_PER_SESSION": 50,  # citizens waiting in one session's queue
    # Reverse proxies whose X-Forwarded-For is believed (addresses or networks, e.g.
    # ["127.0.0.1", "10.0.0.0/8"]). Empty: the client is the socket's peer address.
    # See ratelimit.client_address.
    "TRUSTED_PROXIES": [],
    # Retention (retention.py): how often the purge task is enqueued at most, in hours.
    # 0: never automatically (run `manage.py buergerchat_purge` from cron instead).
    "PURGE_INTERVAL_HOURS": 24,
    # Idle close (idle.py): how often the job closing inactive conversations is enqueued
    # at most, in seconds (on pings of open sockets). 0: never automatically (run
    # `manage.py buergerchat_close_idle` from cron instead).
    "IDLE_CHECK_INTERVAL": 60,
    # E-mail notices to citizens who asked for them (conversations/notifications.py):
    # staff answers within NOTICE_DELAY seconds of the first one make one notice, sent
    # only if they are still unread then and no citizen socket is open.
    "NOTICE_DELAY": 120,
    # Lifetime of the one-time link in a notice, in seconds (after it: the code form).
    "RESUME_LINK_LIFETIME": 24 * 3600,
    # How often the job sending due notices is enqueued at most, in seconds (on socket
    # pings), for task backends that cannot defer a job. 0: never automatically (run
    # `manage.py buergerchat_send_notices` from cron instead).
    "NOTICE_CHECK_INTERVAL": 30,
    # Automatic assignment (casework/assignment.py): how often the job that reassigns the
    # conversations of absent case workers and assigns waiting ones is enqueued at most,
    # in seconds (on pings of staff sockets; a presence change enqueues it at once).
    # 0: never on pings (run `manage.py buergerchat_assign` from cron instead).
    "ASSIGNMENT_CHECK_INTERVAL": 60,
    # Delete archived PDF transcripts together with their conversation when it is purged.
    "PURGE_ARCHIVED_PDFS": False,
    # How many conversations the inbox decrypts at most to search subjects.
    "SUBJECT_SEARCH_LIMIT": 2000,
    # Seconds after which a staff socket that stopped pinging no longer counts as present.
    "PRESENCE_TIMEOUT": 90,
    # Days ahead that the office-hours iCalendar feed lists.
    "ICS_DAYS": 90,
    # Alias in Django's STORAGES of the private storage for attachments and transcripts.
    # It must not be served by the web server (not under MEDIA_ROOT / MEDIA_URL).
    "STORAGE": "buergerchat",
    # Hard upper limit of one upload in bytes, whatever a department allows.
    "MAX_UPLOAD_BYTES": 50 * 1024 * 1024,
    # Largest request body of the other Bürgerchat endpoints (start forms, JSON API,
    # staff forms), in bytes; uploads may send MAX_UPLOAD_BYTES plus 64 KiB. Enforced by
    # realtime.body_limit.BodySizeLimit, the ASGI middleware around the HTTP app.
    "MAX_REQUEST_BYTES": 256 * 1024,
    # Largest image (width x height) that is decoded; larger ones are refused
    # (protection against decompression bombs).
    "MAX_IMAGE_PIXELS": 40_000_000,
    # Dotted path of the malware scanner class (see scanning.py). ``None``: not set,
    # which the system check buergerchat.W002 reports.
    "MALWARE_SCANNER": None,
    # Options of the ClamAV scanner: "SOCKET" (path of clamd's unix socket) or
    # "HOST"/"PORT"; "TIMEOUT" in seconds.
    "CLAMAV": {},
    # Language of PDF transcripts (the city's records are kept in German).
    "PDF_LANGUAGE": "de",
    # PDF transcripts of more than PDF_CHUNK_SIZE messages are rendered in parts of that
    # many messages, each from a new page, in up to PDF_WORKERS processes at once (0: one
    # per CPU), and joined (files/pdf_render.py). PDF_CHUNK_SIZE 0: always in one piece.
    "PDF_CHUNK_SIZE": 300,
    "PDF_WORKERS": 0,
    # "Abteilung einrichten" (editor/setup.py): the page type ("app_label.ModelName") and
    # its StreamField that receive the chat block of a new department's page. None: the
    # only page type (and StreamField) that offers the chat block; with several, set
    # both (the demo: "home.ContentPage" and "body"). Checked by buergerchat.E005.
    "SETUP_PAGE_MODEL": None,
    "SETUP_PAGE_FIELD": None,
}

INTEGER_KEYS = (
    "MAX_MESSAGE_LENGTH",
    "MAX_FRAME_BYTES",
    "SUBJECT_LENGTH",
    "SYNC_BATCH_SIZE",
    "SUBJECT_SEARCH_LIMIT",
    "PRESENCE_TIMEOUT",
    "ICS_DAYS",
    "RESYNC_INTERVAL",
    "MAX_UPLOAD_BYTES",
    "MAX_REQUEST_BYTES",
    "MAX_IMAGE_PIXELS",
    "MAX_AUTH_FAILURES",
    "AUTH_FAILURE_WINDOW",
    "AUTH_TIMEOUT_SECONDS",
    "RESUME_LINK_LIFETIME",
)
NON_NEGATIVE_KEYS = (
    "INBOX_COALESCE_MS",
    "MESSAGES_PER_MINUTE",
    "CONVERSATIONS_PER_HOUR",
    "UPLOADS_PER_HOUR",
    "QUEUE_MAX_PER_CLIENT",
    "QUEUE_MAX_PER_SESSION",
    "PURGE_INTERVAL_HOURS",
    "IDLE_CHECK_INTERVAL",
    "NOTICE_CHECK_INTERVAL",
    "NOTICE_DELAY",
    "ASSIGNMENT_CHECK_INTERVAL",
    "PDF_CHUNK_SIZE",
    "PDF_WORKERS",
)


class BuergerchatSettings:
    def __init__(self):
        self._cache = None

    def _load(self):
        user = getattr(settings, "BUERGERCHAT", {}) or {}
        unknown = set(user) - set(DEFAULTS)
        if unknown:
            raise ImproperlyConfigured(
                "Unknown BUERGERCHAT setting(s): " + ", ".join(sorted(unknown))
            )
        merged = {**DEFAULTS, **user}
        for key in INTEGER_KEYS:
            if not isinstance(merged[key], int) or isinstance(merged[key], bool) or merged[key] <= 0:
                raise ImproperlyConfigured(f"BUERGERCHAT[{key!r}] must be a positive integer")
        for key in NON_NEGATIVE_KEYS:
            if not isinstance(merged[key], int) or isinstance(merged[key], bool) or merged[key] < 0:
                raise ImproperlyConfigured(f"BUERGERCHAT[{key!r}] must be an integer >= 0")
        keys = merged["ENCRYPTION_KEYS"]
        if isinstance(keys, str) or not isinstance(keys, (list, tuple)):
            raise ImproperlyConfigured("BUERGERCHAT['ENCRYPTION_KEYS'] must be a list of Fernet keys")
        proxies = merged["TRUSTED_PROXIES"]
        if isinstance(proxies, str) or not isinstance(proxies, (list, tuple)):
            raise ImproperlyConfigured("BUERGERCHAT['TRUSTED_PROXIES'] must be a list of addresses or networks")
        for proxy in proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except (TypeError, ValueError):
                raise ImproperlyConfigured(
                    f"BUERGERCHAT['TRUSTED_PROXIES']: {proxy!r} is not an IP address or network"
                ) from None
        origins = merged["ALLOWED_ORIGINS"]
        if isinstance(origins, str) or not isinstance(origins, (list, tuple)) or not all(
            isinstance(origin, str) and origin.startswith(("http://", "https://")) for origin in origins
        ):
            raise ImproperlyConfigured(
                "BUERGERCHAT['ALLOWED_ORIGINS'] must be a list of origins such as 'https://www.example.de'"
            )
        if not isinstance(merged["CLAMAV"], dict) or set(merged["CLAMAV"]) - {"SOCKET", "HOST", "PORT", "TIMEOUT"}:
            raise ImproperlyConfigured(
                "BUERGERCHAT['CLAMAV'] must be a dict with the keys SOCKET, HOST, PORT, TIMEOUT"
            )
        for key in ("SETUP_PAGE_MODEL", "SETUP_PAGE_FIELD"):
            if merged[key] is not None and (not isinstance(merged[key], str) or not merged[key]):
                raise ImproperlyConfigured(f"BUERGERCHAT[{key!r}] must be a non-empty string or None")
        if merged["SETUP_PAGE_MODEL"] is not None and merged["SETUP_PAGE_MODEL"].count(".") != 1:
            raise ImproperlyConfigured(
                "BUERGERCHAT['SETUP_PAGE_MODEL'] must be a page type as 'app_label.ModelName', e.g. 'home.ContentPage'"
            )
        return merged

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if self._cache is None:
            self._cache = self._load()
        try:
            return self._cache[name]
        except KeyError:
            raise AttributeError(f"No BUERGERCHAT setting {name!r}") from None

    def reload(self):
        self._cache = None


buergerchat_settings = BuergerchatSettings()


def _reload(*, setting, **kwargs):
    if setting == "BUERGERCHAT":
        buergerchat_settings.reload()


def connect_signals():
    setting_changed.connect(_reload, dispatch_uid="buergerchat_settings_reload")
