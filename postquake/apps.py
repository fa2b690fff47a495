from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PostquakeConfig(AppConfig):
    name = "postquake"
    verbose_name = _("Post-quake trend cases")

    def ready(self) -> None:
        from .search_kinds import register_search_kinds

        register_search_kinds()  # what people find in the portal's search (portal.search)
        from catalog import arrival
        from catalog.models import AlertAction
        from portal import jobs

        from . import panels, services  # noqa: F401  (the dashboard panel, waiting items, the workflows)
        from .services import pushes
        from .tasks import open_case_task

        # A concerned bureau whose alert rule asks for a post-quake case gets one (catalog.arrival).
        arrival.register_reaction(AlertAction.POST_QUAKE_CASE, open_case_task)
        # A quake concerning a bureau may be an aftershock of one of its cases: re-evaluate now,
        # not at the next beat run (aftershocks below the bureau's threshold come by the beat).
        arrival.register_listener(_reevaluate_on_arrival)
        jobs.register(
            jobs.JobKind(
                name="postquake.opinion_push_send",
                sweep=pushes.opinion_pushes_fail_abandoned,
                fail=lambda pk, message: pushes.opinion_push_fail(push_id=pk, message=message),
            )
        )
        # The first draft is a background job: it ends drafted or failed (portal.jobs).
        jobs.register(services.draft_job.JOB)


def _reevaluate_on_arrival(event, concern) -> None:  # type: ignore[no-untyped-def]
    """``catalog.arrival`` listener: only enqueues the bureau's re-evaluation (ids)."""
    from .tasks import reevaluate_bureau_task

    reevaluate_bureau_task.delay(event_id=event.pk, bureau_id=concern.bureau.pk)
