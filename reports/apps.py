from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from .search_kinds import register_search_kinds

        register_search_kinds()  # what people find in the portal's search (portal.search)
        from catalog import arrival
        from catalog.models import AlertAction

        from . import panels  # noqa: F401 - registers the dashboard panels
        from .selectors import event_outcomes
        from .tasks import topic_report_for_event_task

        # A concerned bureau whose alert rule asks for a report gets one (catalog.arrival).
        arrival.register_reaction(AlertAction.TOPIC_REPORT, topic_report_for_event_task)
        arrival.register_outcomes(event_outcomes)
        register_jobs()
        from portal import report_index

        from .report_kind import KIND

        report_index.register(KIND)


def register_jobs() -> None:
    """Report builds and pushes are background jobs the portal's watchdog looks after."""
    from portal import jobs

    from .services import pushes as push_services
    from .services import topic_reports as topic_report_services

    jobs.register(
        jobs.JobKind(
            name="reports.topic_report_build",
            sweep=topic_report_services.topic_reports_reap_abandoned,
            fail=lambda pk, message: topic_report_services.topic_report_fail_by_id(
                report_id=pk, message=message
            ),
        )
    )
    jobs.register(
        jobs.JobKind(
            name="reports.push_send",
            sweep=push_services.pushes_fail_abandoned,
            fail=lambda pk, message: push_services.push_fail(attempt_id=pk, message=message),
        )
    )
