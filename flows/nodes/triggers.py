"""Triggers: what starts a run. A trigger node's outputs are the run's trigger payload (the
event that arrived, the series that got data, the anomaly that moved); ``flows.services.
triggers`` decides which flows a happening starts, from the trigger nodes' parameters."""

from __future__ import annotations

from typing import Any

from flows.registry import NodeContext, NodeError, NodeType, register

from ._schema import integer, num, obj, string

CRON = {
    "minute": string("0", max_length=64),
    "hour": string("6", max_length=64),
    "day_of_week": string("*", max_length=64),
    "day_of_month": string("*", max_length=64),
    "month_of_year": string("*", max_length=64),
}


class _Trigger(NodeType):
    family = "trigger"
    kind = ""

    def run(self, context: NodeContext, inputs: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        if self.kind == "manual":  # a person's run (or a dry run) gives the sample it names
            payload = context.input if context.trigger.get("kind") == "manual" else {}
        else:
            payload = context.trigger if context.trigger.get("kind") == self.kind else {}
        return {port: payload[port] for port in self.outputs if payload.get(port) is not None}


class Manual(_Trigger):
    type = "trigger.manual"
    kind = "manual"
    title_zh, title_en = "手动运行", "Manual"
    description_zh = "由人在页面或接口启动；运行的输入（如 event）从这里流出。"
    description_en = (
        "Started by a person (run button or API); the run's input (e.g. an event) flows out here."
    )
    outputs = {"event": "event", "series": "series"}


class Schedule(_Trigger):
    type = "trigger.schedule"
    kind = "schedule"
    title_zh, title_en = "定时", "Schedule"
    description_zh = "按 cron 时间（北京时间）运行。"
    description_en = "Runs on a cron schedule (Beijing time)."
    params_schema = obj(CRON)

    def clean(self, params: dict[str, Any]) -> dict[str, str]:
        from products.services.schedules import _crontab_check

        values = {key: params.get(key, spec["default"]) for key, spec in CRON.items()}
        return _crontab_check(values)


class QuakeArrived(_Trigger):
    type = "trigger.quake"
    kind = "quake"
    title_zh, title_en = "地震发生", "A quake arrived"
    description_zh = "新地震到达时运行（辖区或范围、震级下限过滤）。"
    description_en = "Runs when a fresh quake arrives, filtered by region and magnitude."
    outputs = {"event": "event"}
    params_schema = obj(
        {
            "min_magnitude": num(3.0, -2.0, 10.0),
            "region": string("jurisdiction", enum=("jurisdiction", "box", "anywhere")),
            "minlatitude": num(None, -90, 90, nullable=True),
            "maxlatitude": num(None, -90, 90, nullable=True),
            "minlongitude": num(None, -180, 180, nullable=True),
            "maxlongitude": num(None, -180, 180, nullable=True),
        }
    )

    def clean(self, params: dict[str, Any]) -> dict[str, str]:
        if params.get("region") == "box":
            return {
                key: "required for a box region"
                for key in ("minlatitude", "maxlatitude", "minlongitude", "maxlongitude")
                if params.get(key) is None
            }
        return {}


class QuickReport(_Trigger):
    type = "trigger.quick_report"
    kind = "quick_report"
    title_zh, title_en = "收到速报", "Quick report received"
    description_zh = "收到地震速报短信时运行。"
    description_en = "Runs when a quick-report SMS is received."
    outputs = {"event": "event"}
    params_schema = obj({"min_magnitude": num(0.0, -2.0, 10.0)})


class SeriesData(_Trigger):
    type = "trigger.series_data"
    kind = "series"
    title_zh, title_en = "新观测数据", "New series data"
    description_zh = "所选测项有新数据入库时运行。"
    description_en = "Runs when new data of the chosen channels is stored."
    outputs = {"series": "series"}
    params_schema = obj(
        {"channels": {"type": "array", "items": integer(None, 1), "minItems": 1, "maxItems": 50}},
        required=("channels",),
    )


class AnomalyChanged(_Trigger):
    type = "trigger.anomaly"
    kind = "anomaly"
    title_zh, title_en = "异常状态变化", "Anomaly changed state"
    description_zh = "本局异常进入所选状态时运行。"
    description_en = "Runs when an anomaly of the bureau enters one of the chosen states."
    outputs = {"anomaly": "anomaly"}
    params_schema = obj(
        {
            "states": {
                "type": "array",
                "items": string(
                    enum=("reported", "returned", "verifying", "verified", "assessed", "tracking", "closed")
                ),
                "default": [],
            }
        }
    )


for _node in (Manual, Schedule, QuakeArrived, QuickReport, SeriesData, AnomalyChanged):
    register(_node())


def require(value: Any, what: str) -> Any:
    if value is None:
        raise NodeError(what)
    return value
