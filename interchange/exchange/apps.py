from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "interchange.exchange"
    label = "exchange"
    verbose_name = _("Supplier exchange")

    def ready(self) -> None:
        from django.conf import settings

        from interchange.core.jobs import wake_within
        from interchange.exchange import fanout, scans  # noqa: F401 (registers the scans)
        from interchange.servicedesk.dispatch import register_listener

        register_listener("exchange.webhooks", fanout.on_timeline_event)
        wake_within("exchange", settings.EXCHANGE_POLL_MS / 1000)
