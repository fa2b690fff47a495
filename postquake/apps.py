from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PostquakeConfig(AppConfig):
    name = "postquake"
    verbose_name = _("Post-quake trend cases")

    def ready(self) -> None:
        from catalog import arrival
        from catalog.models import AlertAction
        from portal import jobs

        from . import panels, services  # noqa: F401  (register the dashboard panel, the case workflow)
        from .tasks import open_case_task

        # A concerned bureau whose alert rule asks for a post-quake case gets one (catalog.arrival).
        arrival.register_reaction(AlertAction.POST_QUAKE_CASE, open_case_task)
        # The first draft is a background job: it ends drafted or failed (portal.jobs).
        jobs.register(services.draft_job.JOB)
