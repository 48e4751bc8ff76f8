from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "interchange.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # The dispatcher and the worker know no app by name: each registers itself here.
        from interchange.notifications import handlers  # noqa: F401
        from interchange.notifications.listeners import on_timeline_event, on_timeline_events
        from interchange.servicedesk.dispatch import register_listener

        register_listener("notifications", on_timeline_event, batch=on_timeline_events)
