"""The portal's own report paths as nodes (issue 14: "the code paths that exist today become
the implementation of those nodes"), so the built-in flows (``flows.builtin``) are made of
the same blocks a bureau composes, and a bureau's copy can change them without a developer:

* ``output.topic_report``: the emergency special-topic report of the triggering quake
  (``reports.services.topic_build.topic_report_make``: the queue and build of the arrival's
  reaction, then the pushes over the bureau's channels), with the radii a bureau may set
  differently from its report settings;
* ``output.trend_report``: the monthly trend report compilation
  (``trends.services.trend_reports.trend_report_request``: the monthly beat job's request,
  which queues the compilation), for last month or this one.
"""

from __future__ import annotations

from typing import Any

from flows.registry import NodeContext, NodeError, NodeType, register
from reports.models import GisLayerKind

from ._schema import boolean, num, obj, string


class TopicReport(NodeType):
    type = "output.topic_report"
    # a bureau whose enabled flow holds this node gets its report from the flow, not from the
    # portal's default arrival reaction (catalog.arrival.register_replacement)
    replaces_alert_action = "topic_report"
    family = "output"
    title_zh, title_en = "震区专题报告", "Special-topic report"
    description_zh = (
        "为触发的地震生成本局的震区专题报告（基本参数、震中图、历史地震、周边乡镇、本局图层），"
        "并按本局推送设置推送。半径留空则用本局的专题报告设置。"
    )
    description_en = (
        "Builds the bureau's special-topic report of the triggering quake (parameters, epicentre "
        "map, historical seismicity, towns, the bureau's GIS layers) and pushes it over the "
        "bureau's channels. Empty radii use the bureau's report settings."
    )
    inputs = {"event": "event"}
    outputs = {"report": "document"}
    side_effects = True
    time_limit = 600
    params_schema = obj(
        {
            "history_radius_km": num(None, 10.0, 500.0, nullable=True),
            "history_min_magnitude": num(None, 0.0, 9.9, nullable=True),
            "town_radius_km": num(None, 1.0, 300.0, nullable=True),
            "layer_radius_km": num(None, 1.0, 300.0, nullable=True),
            "layer_kinds": {
                "type": ["array", "null"],
                "items": {"type": "string", "enum": list(GisLayerKind.values)},
                "uniqueItems": True,
                "default": None,
                "description": "only these kinds of the bureau's GIS layers (empty: all)",
            },
            "push": boolean(True, "push the ready report over the bureau's channels"),
        }
    )

    def run(self, context: NodeContext, inputs: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        from catalog.selectors import event_get
        from portal.exceptions import NotFound
        from reports.services.topic_build import BUILD_OVERRIDES, topic_report_make

        try:
            event = event_get(actor=context.reader, public_id=inputs["event"]["public_id"])
        except (NotFound, KeyError, TypeError):
            raise NodeError("the bureau does not read this event") from None
        if context.dry_run:
            return {"report": {"dry_run": True, "event": event.public_id}}
        report = topic_report_make(
            event_id=event.pk,
            bureau_id=context.bureau.pk,
            push=bool(params.get("push", True)),
            overrides={key: params.get(key) for key in BUILD_OVERRIDES},
        )
        if report is None:
            raise NodeError("no report for this event (deleted, or not in the catalog)")
        if report.status == "failed":
            raise NodeError(f"the report failed: {report.error}")
        context.notes["topic_report"] = report.pk
        return {
            "report": {
                "topic_report": report.pk,
                "title": str(report),
                "status": report.status,
                "event": event.public_id,
                "url": report.get_absolute_url(),
            }
        }


class TrendReport(NodeType):
    type = "output.trend_report"
    family = "output"
    title_zh, title_en = "月度震情报告", "Monthly trend report"
    description_zh = "生成（并汇编）本局上月或本月的震情趋势报告；已有则不重复生成。"
    description_en = (
        "Asks for the bureau's trend report of last month (or this one) and queues its "
        "compilation; an existing report is left as it is."
    )
    outputs = {"report": "document"}
    side_effects = True
    time_limit = 120
    params_schema = obj({"month": string("last", enum=("last", "this"), max_length=8)})

    def run(self, context: NodeContext, inputs: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        from portal.timefmt import beijing
        from trends.services.trend_reports import last_month, trend_report_request

        today = beijing(context.now).date()
        month = last_month(today) if params.get("month", "last") == "last" else today.replace(day=1)
        if context.dry_run:
            return {"report": {"dry_run": True, "month": month.isoformat()}}
        report, created = trend_report_request(actor=None, bureau=context.bureau, month=month)
        context.notes["trend_report"] = report.pk
        return {
            "report": {
                "trend_report": report.pk,
                "title": report.title,
                "month": month.isoformat(),
                "created": created,
                "url": report.get_absolute_url(),
            }
        }


for _node in (TopicReport, TrendReport):
    register(_node())
