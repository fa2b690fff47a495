from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecognitionConfig(AppConfig):
    name = "recognition"
    verbose_name = _("Recognition rules")

    def ready(self) -> None:
        from disciplines import anomaly_origins

        from . import origins, services

        del services  # registers the rule workflow
        anomaly_origins.register(origins.anomaly_origin)
