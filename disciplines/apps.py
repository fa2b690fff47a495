from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisciplinesConfig(AppConfig):
    name = "disciplines"
    verbose_name = _("Disciplines")

    def ready(self) -> None:
        from portal.dashboard import register
        from portal.models import Role

        from . import panels

        register(Role.REPORTER)(panels.reporter_units_due)
        register(Role.EXPERT)(panels.expert_anomalies)
        register(Role.BUREAU_ADMIN)(panels.admin_missing_reports)
