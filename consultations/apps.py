from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultationsConfig(AppConfig):
    name = "consultations"
    verbose_name = _("Consultations")

    def ready(self) -> None:
        from .search_kinds import register_search_kinds

        register_search_kinds()  # what people find in the portal's search (portal.search)
        from catalog import arrival
        from catalog.models import AlertAction
        from portal.hooks import hook

        from . import panels  # noqa: F401  (registers the dashboard panels)
        from .selectors import event_outcomes
        from .tasks import attach_topic_report_task, open_emergency_meeting_task

        # A concerned bureau whose alert rule asks for a meeting gets one (catalog.arrival).
        arrival.register_reaction(AlertAction.EMERGENCY_MEETING, open_emergency_meeting_task)
        arrival.register_outcomes(event_outcomes)
        from .services.report_pdf import register_documents

        register_documents()
        from portal import report_index

        from .report_kind import KIND

        report_index.register(KIND)

        @hook("topic_report.ready")
        def attach_topic_report(report_id: int, **_: object) -> None:
            """reports sits below consultations: it tells through the hook, we enqueue the work."""
            attach_topic_report_task.delay(report_id=report_id)
