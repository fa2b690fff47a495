from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultationsConfig(AppConfig):
    name = "consultations"
    verbose_name = _("Consultations")

    def ready(self) -> None:
        from portal.hooks import hook

        from . import panels  # noqa: F401  (registers the dashboard panels)
        from .services.emergency import emergency_meetings_for_event
        from .services.report_pdf import register_documents
        from .services.topic_reports import topic_report_attach

        register_documents()

        @hook("event.arrived")
        def open_emergency_meetings(
            event_id: int, created: bool = True, source: str = "", **_: object
        ) -> None:
            """A quake at or above a bureau's threshold in (or near) its jurisdiction opens a meeting."""
            emergency_meetings_for_event(event_id=event_id, source=source)

        @hook("topic_report.ready")
        def attach_topic_report(report_id: int, event_id: int, bureau_id: int, **_: object) -> None:
            """A special-topic report built after the meeting opened joins its material."""
            topic_report_attach(report_id=report_id, event_id=event_id, bureau_id=bureau_id)
