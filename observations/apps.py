from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class ObservationsConfig(AppConfig):
    """Precursor observations (前兆观测): stations, instruments and channels (the master data),
    their time series and quality control. Above the catalog (quakes are marked on the curves),
    below the disciplines (reporting units are stations; anomalies show their channel's curve)."""

    name = "observations"
    verbose_name = pgettext_lazy("observations", "Observations")

    def ready(self) -> None:
        from .search_kinds import register_search_kinds

        register_search_kinds()  # what people find in the portal's search (portal.search)
        from portal.dashboard import register
        from portal.models import Role

        from . import panels  # registers "waiting for me" (changes to decide, QC days to review)
        from .services import (  # noqa: F401  register the workflows
            change_workflow,
            qc_review_workflow,
            station_workflow,
        )

        register(Role.EXPERT)(panels.expert_qc_days)

        register_jobs()
        register_qc_archives()
        from .services import series_verify

        series_verify.register_check()  # evidence of data: a check kind of the integrity page


def register_jobs() -> None:
    """Series imports are background jobs the portal's watchdog looks after (portal.jobs)."""
    from portal import jobs

    from .services import series_import

    jobs.register(
        jobs.JobKind(
            name="observations.series_import",
            sweep=series_import.series_imports_fail_abandoned,
            fail=lambda pk, message: series_import.series_import_fail(import_id=pk, message=message),
        )
    )


def register_qc_archives() -> None:
    """The monthly QC archive: its workflow (on import), its PDF kind and its job kind."""
    from .services import qc_archive

    qc_archive.register_documents()
    qc_archive.register_jobs()
