from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicedeskConfig(AppConfig):
    name = "interchange.servicedesk"
    label = "servicedesk"
    verbose_name = _("Service desk")

    def ready(self) -> None:
        # Imported for their side effect: they register the dispatcher's and the SLA clocks'
        # periodic scans with the worker.
        from interchange.servicedesk import dispatch, sla  # noqa: F401
