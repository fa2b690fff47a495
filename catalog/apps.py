from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = _("Earthquake catalog")

    def ready(self) -> None:
        from portal.dashboard import register

        from . import dashboard

        register("forecaster")(dashboard.recent_events_panel)
        register("bureau_admin")(dashboard.failed_quick_reports_panel)
