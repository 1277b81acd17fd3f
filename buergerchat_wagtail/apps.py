from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BuergerchatConfig(AppConfig):
    name = "buergerchat_wagtail"
    label = "buergerchat"
    verbose_name = _("Bürgerchat")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import checks  # noqa: F401  (registers system checks)
        from . import logfilters
        from .conf import connect_signals
        from .notifications import connect_signals as connect_notifications
        from .signal_handlers import register_signal_handlers

        connect_signals()
        register_signal_handlers()
        logfilters.install()
        from . import protection

        protection.register()
        connect_notifications()
