from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from django.urls import register_converter

        from .converters import IdConverter

        # Before any URLconf is imported: every route names its ids as <id:...>.
        register_converter(IdConverter, "id")
        from . import panels  # noqa: F401  (registers the dashboard panels)
