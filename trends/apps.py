from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrendsConfig(AppConfig):
    """Monthly trend reports (月度地震趋势会商报告), daily and weekly briefs and discipline reports:
    the documents the portal compiles from what the apps below it hold (the top layer)."""

    name = "trends"
    verbose_name = _("Trend reports and briefs")

    def ready(self) -> None:
        # the brief tasks live beside tasks.py: imported here so every worker registers them
        from . import brief_tasks  # noqa: F401
        from .brief_index import register_report_kinds
        from .services.brief_pdf import register_documents

        register_documents()
        register_report_kinds()
