from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BuergerchatConfig(AppConfig):
    name = "buergerchat_wagtail"
    label = "buergerchat"
    verbose_name = _("Bürgerchat")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from buergerchat_wagtail import checks  # noqa: F401  (registers system checks)
        from buergerchat_wagtail.privacy import logfilters
        from buergerchat_wagtail.conf import connect_signals
        from buergerchat_wagtail.conversations.notifications import connect_signals as connect_notifications
        from buergerchat_wagtail.realtime.signals import register_signal_handlers

        connect_signals()
        register_signal_handlers()
        logfilters.install()
        from buergerchat_wagtail.privacy import protection

        protection.register()
        connect_notifications()
