from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProductsConfig(AppConfig):
    name = "products"
    verbose_name = _("Computed products")

    def ready(self) -> None:
        from portal import jobs

        from . import panels, provenance
        from .services import execution, runs

        del panels  # registers the dashboard panels
        provenance.code_version()  # read once at startup, not per run
        # Runs a killed worker left behind are requeued (or failed) by the portal's job
        # watchdog (portal.jobs), which sweeps every kind of background job.
        jobs.register(
            jobs.JobKind(
                name="products.run",
                sweep=lambda now: execution.runs_requeue_stale(now=now),
                fail=lambda pk, message: runs.run_fail_by_id(run_id=pk, message=message),
            )
        )
