from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FrontdoorConfig(AppConfig):
    name = "interchange.frontdoor"
    label = "frontdoor"
    verbose_name = _("Residents' front door")

    def ready(self) -> None:
        from interchange.frontdoor import jobs  # noqa: F401 - registers the periodic scans
