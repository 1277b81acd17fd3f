from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BuergerchatConfig(AppConfig):
    name = "buergerchat_wagtail"
    label = "buergerchat"
    verbose_name = _("Bürgerchat")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Imported here, not at the top: these modules import the models, which Django
        # allows only once the app registry is ready.
        from buergerchat_wagtail import (
            checks,  # noqa: F401  (registers the system checks)
            conf,
        )
        from buergerchat_wagtail.conversations import notifications
        from buergerchat_wagtail.files import storage
        from buergerchat_wagtail.privacy import logfilters
        from buergerchat_wagtail.realtime import signals

        conf.connect_signals()
        signals.connect_signals()
        storage.connect_signals()
        notifications.connect_signals()
        logfilters.install()
