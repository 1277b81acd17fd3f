"""Baseline 2: a bare Channels relay on daphne, no database (the framework's cost)."""

SECRET_KEY = "bench-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["daphne", "channels"]
DATABASES = {}
ROOT_URLCONF = "bench.channels_relay.urls"
ASGI_APPLICATION = "bench.channels_relay.asgi.application"
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 10000}}}
USE_TZ = True
