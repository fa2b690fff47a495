from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisciplinesConfig(AppConfig):
    name = "disciplines"
    verbose_name = _("Disciplines")

    def ready(self) -> None:
        from .search_kinds import register_search_kinds

        register_search_kinds()  # what people find in the portal's search (portal.search)
        from portal.dashboard import register
        from portal.models import Role

        from . import panels
        from .services import anomaly_workflow  # noqa: F401  registers the anomaly workflow (history labels)
        from .services.verification_pdf import register_documents

        register_documents()

        register(Role.REPORTER)(panels.reporter_units_due)
        register(Role.EXPERT)(panels.expert_anomalies)
        register(Role.BUREAU_ADMIN)(panels.admin_missing_reports)
