from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_builtins(sender: AppConfig, **kwargs: Any) -> None:
    """Each migrate puts the built-in flows of this release into the store (a changed
    definition becomes a new version; migration 0003 did it once, for the first release)."""
    from . import builtin
    from .models import StoreEntry, StoreVersion

    builtin.sync(StoreEntry, StoreVersion)


class FlowsConfig(AppConfig):
    name = "flows"
    verbose_name = _("Flows")

    def ready(self) -> None:
        from .search_kinds import register_search_kinds

        register_search_kinds()  # what people find in the portal's search (portal.search)
        from portal import jobs

        from . import nodes
        from .services import runs

        nodes.load()
        from . import happenings

        post_migrate.connect(_sync_builtins, sender=self, dispatch_uid="flows.sync_builtins")
        happenings.connect()  # the apps below start flows: quakes, quick reports, series, anomalies
        # Runs past their overall limit, or queued with a lost start, end failed (author told).
        jobs.register(
            jobs.JobKind(
                name="flows.run",
                sweep=runs.runs_sweep,
                fail=lambda pk, message: runs.run_fail_by_id(run_id=pk, message=message),
            )
        )
