from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrendsConfig(AppConfig):
    """Monthly trend reports (月度地震趋势会商报告), daily and weekly briefs and discipline reports:
    the documents the portal compiles from what the apps below it hold (the top layer)."""

    name = "trends"
    verbose_name = _("Trend reports and briefs")

    def ready(self) -> None:
        from .search_kinds import register_search_kinds

        register_search_kinds()  # what people find in the portal's search (portal.search)
        from portal.hooks import hook

        # the brief tasks live beside tasks.py: imported here so every worker registers them
        from . import (
            brief_tasks,  # noqa: F401
            panels,
        )
        from .brief_index import register_report_kinds
        from .services import brief_pdf, trend_compile, trend_pdf, trend_workflow  # noqa: F401 - registers the workflow
        from .tasks import meeting_closed_task

        trend_compile.register_jobs()
        trend_pdf.register_documents()
        brief_pdf.register_documents()
        panels.register()
        register_report_kinds()

        @hook("meeting.closed")
        def recompile_meeting_sections(meeting_id: int, bureau_id: int, **_: object) -> None:
            """consultations sits below trends: a closed monthly meeting fills the meeting and
            opinion sections of its month's draft (a task recompiles them)."""
            meeting_closed_task.delay(meeting_id=meeting_id, bureau_id=bureau_id)
