from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FlowsConfig(AppConfig):
    name = "flows"
    verbose_name = _("Flows")

    def ready(self) -> None:
        from portal import jobs

        from . import nodes
        from .services import runs

        nodes.load()
        from . import happenings

        happenings.connect()  # the apps below start flows: quakes, quick reports, series, anomalies
        # Runs past their overall limit, or queued with a lost start, end failed (author told).
        jobs.register(
            jobs.JobKind(
                name="flows.run",
                sweep=runs.runs_sweep,
                fail=lambda pk, message: runs.run_fail_by_id(run_id=pk, message=message),
            )
        )
