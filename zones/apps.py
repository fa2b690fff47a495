from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ZonesConfig(AppConfig):
    """Annual danger zones (年度危险区) and their tracking (震情跟踪): zones, tracking plans,
    linked material, quarterly tracking reports and the year-end score."""

    name = "zones"
    verbose_name = _("Danger zones")

    def ready(self) -> None:
        from trends import zone_marks

        from . import panels, report_kind, tasks, workflows  # noqa: F401 - registers the workflows and tasks
        from .documents import register_documents
        from .marks import zones_marker
        from .search_kinds import register_search_kinds

        register_documents()
        zone_marks.register(zones_marker)
        report_kind.register()
        panels.register()
        register_search_kinds()  # what people find in the portal's search (portal.search)
