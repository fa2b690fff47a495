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


# What a flow's topic-report node may set differently from the bureau's settings (flows,
# issue 14: "another radius"), for one build; the settings row is not changed.
# "layer_kinds" (a list of GisLayerKind values) keeps only those kinds of the bureau's layers
BUILD_OVERRIDES = (
    "history_radius_km",
    "history_min_magnitude",
    "town_radius_km",
    "layer_radius_km",
    "layer_kinds",
)


def topic_report_build(
    *, report_id: int, push: bool | None = None, overrides: dict[str, Any] | None = None
) -> TopicReport | None:
    """Build a queued report: content, maps, PDF; ready (then pushed, when the bureau's
    alert rule says ``pushes``; ``push`` overrides it) or failed. Idempotent (a report that
    is not queued is left alone). ``overrides``: values of ``BUILD_OVERRIDES`` used instead
    of the bureau's settings for this build."""
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
        for key, value in (overrides or {}).items():
            if key in BUILD_OVERRIDES and value is not None:
                setattr(options, key, value)  # this build only; never saved
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


def topic_report_make(
    *, event_id: int, bureau_id: int, push: bool, overrides: dict[str, Any] | None = None
) -> TopicReport | None:
    """Queue and build, here and now, the bureau's report of the event's current version (a
    flow's topic-report node, running in its worker task): the same queue and build as the
    arrival's reaction (``topic_report_for_event`` then ``topic_report_build``). A report the
    bureau already has for this version (the default reaction's, or an earlier run's) is
    returned as it is: never two reports of one version."""
    from catalog.selectors import event_get_for_worker
    from portal.models import Bureau

    from .topic_reports import topic_report_queue

    event = event_get_for_worker(event_id=event_id)
    bureau = Bureau.objects.filter(pk=bureau_id).first()
    if event is None or bureau is None or event.status == "deleted":
        return None
    report = topic_report_queue(
        bureau=bureau, event=event, trigger=selectors.event_version_origin(event=event), build=False
    )
    if report is None:
        return selectors.topic_report_find(
            bureau_id=bureau_id, event_id=event_id, event_version=event.version
        )
    return topic_report_build(report_id=report.pk, push=push, overrides=overrides)
