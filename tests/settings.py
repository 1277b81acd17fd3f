"""Test settings: the demo site's settings with an in-memory database and layer."""

import os

os.environ.setdefault("BUERGERCHAT_VAR_DIR", "/tmp/buergerchat-test-var")

from demo_site.settings import *  # noqa: E402,F403

DEBUG = False
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
CHANNEL_LAYERS = {"default": {"BACKEND": "buergerchat_wagtail.channel_layers.InMemoryChannelLayer"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "buergerchat": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
}
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
LOGGING = {"version": 1, "disable_existing_loggers": False}

# The database queue of django-tasks, used by tests/test_tasks.py (the
# other tests run jobs with the immediate backend, as the demo does).
INSTALLED_APPS = [*INSTALLED_APPS, "django_tasks_db"]  # noqa: F405
