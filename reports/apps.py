from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from portal import hooks

        from . import panels  # noqa: F401 - registers the dashboard panels

        hooks.hook("event.arrived")(on_event_arrived)
        register_jobs()


def register_jobs() -> None:
    """Report builds and pushes are background jobs the portal's watchdog looks after."""
    from portal import jobs

    from . import services

    jobs.register(
        jobs.JobKind(
            name="reports.topic_report_build",
            sweep=services.topic_reports_reap_abandoned,
            fail=lambda pk, message: services.topic_report_fail_by_id(report_id=pk, message=message),
        )
    )
    jobs.register(
        jobs.JobKind(
            name="reports.push_send",
            sweep=services.pushes_fail_abandoned,
            fail=lambda pk, message: services.push_fail(attempt_id=pk, message=message),
        )
    )


def on_event_arrived(*, event_id: int, created: bool = True, source: str = "", **_extra: object) -> None:
    """A new event or a new version of one: queue the special-topic reports it calls for.

    The hook runs after the catalog's transaction committed; the builds are queued on
    commit of this one.
    """
    from .services import topic_reports_for_event

    topic_reports_for_event(event_id=event_id, source=source)
