"""The portal's own flows, shipped in the flow store (issue 14: "the portal's own flows are
flows"): the emergency special-topic report and the monthly trend report compilation, made
of the same node types every bureau composes (``flows.nodes.reporting`` wraps the existing
report paths).

They are owned by no bureau (``StoreEntry.bureau`` None): they are the portal's code paths,
maintained with its releases, not a bureau's work; giving them to CENC would let CENC's
people change what every province runs and would mix them with CENC's own flows. A bureau
installs one (a copy in its bureau, triggers off until its bureau admin enables them) and
changes its copy (another radius, an extra push, an added product) like any flow.

``sync(StoreEntry, StoreVersion)`` puts them into the store (a new version when a
definition here changed); the data migrations call it with their historical models, so a
change of a definition ships as a migration calling it again.
"""

from __future__ import annotations

from typing import Any

TOPIC_REPORT = "topic_report"
TREND_REPORT = "trend_report"

BUILTINS: dict[str, dict[str, Any]] = {
    TOPIC_REPORT: {
        "title": "震区专题报告 Emergency special-topic report",
        "description_zh": (
            "地震到达（速报短信、目录导入或人工录入）后，为本局辖区内 M3.0 以上的地震生成震区专题报告"
            "（基本参数、震中图、历史地震图表、周边乡镇人口、本局 GIS 图层），并按本局推送设置推送"
            "（站内、邮件、企业微信群机器人）。可以改半径、震级下限，或在后面加通知、加产品。"
        ),
        "description_en": (
            "When a quake arrives (a quick-report SMS, an import or a solution by hand), builds the "
            "bureau's special-topic report for quakes of M3.0 and above in its jurisdiction "
            "(parameters, epicentre map, historical seismicity, towns and population, the bureau's "
            "GIS layers) and pushes it over the bureau's channels (in the app, e-mail, WeChat Work "
            "group bot). Change the radii or the magnitude, or add a notification or a product."
        ),
        "inputs": [
            {"node": "quake", "param": "min_magnitude", "label": "震级下限 minimum magnitude"},
            {"node": "report", "param": "history_radius_km", "label": "历史地震半径 history radius (km)"},
        ],
        "inputs_note": (
            "本局的推送渠道和 GIS 图层在“专题报告设置”中维护。 The bureau's push channels and GIS "
            "layers are kept in its special-topic report settings."
        ),
        "definition": {
            "nodes": [
                {
                    "id": "quake",
                    "type": "trigger.quake",
                    "params": {
                        "min_magnitude": 3.0,
                        "region": "jurisdiction",
                        "minlatitude": None,
                        "maxlatitude": None,
                        "minlongitude": None,
                        "maxlongitude": None,
                    },
                },
                {
                    "id": "report",
                    "type": "output.topic_report",
                    "params": {
                        "history_radius_km": None,
                        "history_min_magnitude": None,
                        "town_radius_km": None,
                        "layer_radius_km": None,
                        "layer_kinds": None,
                        "push": True,
                    },
                },
            ],
            "edges": [{"from": "quake.event", "to": "report.event"}],
        },
    },
    TREND_REPORT: {
        "title": "月度震情报告汇编 Monthly trend report compilation",
        "description_zh": "每月 1 日 08:00（北京时间）生成并汇编本局上月的震情趋势报告草稿。",
        "description_en": (
            "On the 1st of each month at 08:00 Beijing time, creates and compiles the draft of the "
            "bureau's trend report of the month before."
        ),
        "inputs": [],
        "inputs_note": "",
        "definition": {
            "nodes": [
                {
                    "id": "monthly",
                    "type": "trigger.schedule",
                    "params": {
                        "minute": "0",
                        "hour": "8",
                        "day_of_week": "*",
                        "day_of_month": "1",
                        "month_of_year": "*",
                    },
                },
                {"id": "compile", "type": "output.trend_report", "params": {"month": "last"}},
            ],
            "edges": [],
        },
    },
}


def _facts(definition: dict[str, Any]) -> tuple[list[str], list[str]]:
    return sorted({n["type"] for n in definition["nodes"]}), []


def sync(entry_model: Any, version_model: Any) -> list[int]:
    """Put the built-in flows into the store (idempotent); returns the entry ids. A changed
    definition becomes a new version of its entry."""
    ids = []
    for key, spec in BUILTINS.items():
        types, disciplines = _facts(spec["definition"])
        words = {
            "title": spec["title"],
            "description_zh": spec["description_zh"],
            "description_en": spec["description_en"],
            "inputs": spec["inputs"],
            "inputs_note": spec["inputs_note"],
            "node_types": types,
            "disciplines": disciplines,
        }
        entry, _created = entry_model.objects.update_or_create(builtin_key=key, bureau=None, defaults=words)
        latest = version_model.objects.filter(entry=entry).order_by("-number").first()
        if latest is None or latest.definition != spec["definition"]:
            version_model.objects.create(
                entry=entry,
                number=(latest.number + 1) if latest else 1,
                definition=spec["definition"],
                note="built in",
            )
        ids.append(entry.pk)
    return ids
