from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

FDSN_PREFIX = "/fdsnws/"


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = _("Earthquake catalog")

    def ready(self) -> None:
        from .search_kinds import register_search_kinds

        register_search_kinds()  # what people find in the portal's search (portal.search)
        from portal.dashboard import register
        from portal.errors import register_error_renderer

        from . import dashboard
        from .fdsn import error_page

        register_error_renderer(FDSN_PREFIX, error_page)

        register("forecaster")(dashboard.recent_events_panel)
        register("bureau_admin")(dashboard.failed_quick_reports_panel)
        register_jobs()


def register_jobs() -> None:
    """Catalog imports are background jobs the portal's watchdog looks after (portal.jobs)."""
    from portal import jobs

    from .services import imports as event_import_services

    jobs.register(
        jobs.JobKind(
            name="catalog.event_import",
            sweep=event_import_services.event_imports_fail_abandoned,
            fail=lambda pk, message: event_import_services.event_import_fail(import_id=pk, message=message),
        )
    )
