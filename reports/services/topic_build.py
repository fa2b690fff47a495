"""The build of a queued special-topic report: its content, maps and PDF (the worker's job,
task ``reports.topic_report_build``); it ends ready or failed.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import translation

from printing.rendering import png_data_uri, render_pdf
from reports import selectors

from .topic_reports import Status, topic_report_fail, topic_report_finish, topic_report_start

if TYPE_CHECKING:
    from reports.models import (
        TopicReport,
    )

logger = logging.getLogger(__name__)


def render_topic_pdf(*, content: dict[str, Any], maps: dict[str, bytes], language: str = "zh-hans") -> bytes:
    return render_pdf(
        "reports/topic/print.html",
        {"c": content, "maps": {k: png_data_uri(v) for k, v in maps.items()}},
        language=language,
    )


def topic_report_build(*, report_id: int, push: bool | None = None) -> TopicReport | None:
    """Build a queued report: content, maps, PDF; ready (then pushed, when the bureau's
    alert rule says ``pushes``; ``push`` overrides it) or failed. Idempotent (a report that
    is not queued is left alone)."""
    from catalog.arrival import alert_rule_for
    from reports.topic import build_content, draw_maps

    report = selectors.topic_report_get_for_worker(report_id=report_id)
    if report is None or report.status != Status.QUEUED:
        return report
    if push is None:
        rule = alert_rule_for(bureau=report.bureau)
        push = rule is not None and rule.pushes
    report = topic_report_start(report=report)
    try:
        options = selectors.topic_report_settings_for(bureau=report.bureau)
        language = settings.LANGUAGE_CODE
        with translation.override(language):
            built = build_content(
                event=report.event, bureau=report.bureau, options=options, language=language
            )
            started = time.perf_counter()
            maps = draw_maps(built.content)
            built.timings["maps"] = round(time.perf_counter() - started, 3)
            started = time.perf_counter()
            pdf = render_topic_pdf(content=built.content, maps=maps, language=language)
            built.timings["pdf"] = round(time.perf_counter() - started, 3)
    except Exception as exc:  # any failure of the build is recorded on the report, never lost
        logger.exception("topic report %s failed", report.pk)
        return topic_report_fail(report=report, error=f"{type(exc).__name__}: {exc}")
    return topic_report_finish(
        report=report, content=built.content, pdf=pdf, maps=maps, timings=built.timings, push=push
    )
