"""A brief as a phone page and a PDF through the portal's one renderer
(``printing.rendering``): the stored content with its labels and Beijing times put on in the
reader's language."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from consultations.models import MeetingKind
from disciplines.models import Anomaly
from portal.timefmt import format_date, format_time
from printing.rendering import render_html, render_pdf

from .models import BriefKind

if TYPE_CHECKING:
    from .models import Brief

TEMPLATE = "trends/briefs/print.html"


def _when(value: str | None, style: str = "minutes") -> str:
    if not value:
        return ""
    return format_time(dt.datetime.fromisoformat(value), style=style)


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _discipline_label(code: str, names: dict[str, Any] | None = None) -> str:
    from portal.models import DISCIPLINE_NAMES_ZH, DisciplineCode

    if names:
        return str(names.get("name_en" if _english() else "name_zh", code))
    if code in DisciplineCode.values:
        return str(DisciplineCode(code).label) if _english() else DISCIPLINE_NAMES_ZH[DisciplineCode(code)]
    return code


def _anomalies(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    states = dict(Anomaly.State.choices)
    return [
        {
            **row,
            "state_label": states.get(row["state"], row["state"]),
            "discipline_label": _discipline_label(row["discipline"]),
            "onset_bj": _when(row.get("onset_at")),
            "verify_due_bj": _when(row.get("verify_due_at")),
            "assess_due_bj": _when(row.get("assess_due_at")),
        }
        for row in rows
    ]


def _runs(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        crossed = row.get("crossed")
        rule = ""
        if crossed:
            rule = (
                f"{crossed['quantity']} = {crossed['value']} ≤ {crossed['threshold']}"
                if crossed["rule"] == "le"
                else f"|{crossed['quantity']}| = {abs(crossed['value'])} ≥ {crossed['threshold']}"
            )
        out.append(
            {
                **row,
                "title": row["title_en"] if _english() else row["title_zh"],
                "finished_bj": _when(row.get("finished_at")),
                "rule_text": rule,
            }
        )
    return out


def brief_context(brief: Brief) -> dict[str, Any]:
    """What the brief's template shows."""
    c: dict[str, Any] = dict(brief.content or {})
    context: dict[str, Any] = {
        "brief": brief,
        "c": c,
        "title": brief.title,
        "kind_label": BriefKind(brief.kind).label,
        "is_discipline": brief.kind == BriefKind.DISCIPLINE,
        "period_start_bj": format_time(brief.period_start, label=True),
        "period_end_bj": format_time(brief.period_end, label=True),
        "thresholds": c.get("thresholds", {}),
    }
    if "discipline" in c:
        context["discipline_label"] = _discipline_label(c["discipline"]["code"], c["discipline"])
    quakes = c.get("quakes")
    if quakes is not None:
        bands = quakes.get("bands", [])
        context["quake_bands"] = [
            (band, quakes["inside"]["counts"].get(band, 0), quakes["near"]["counts"].get(band, 0))
            for band in bands
        ]
        context["quakes"] = [
            {**q, "origin_bj": _when(q.get("origin_time"), "seconds")} for q in quakes["list"]
        ]
    anomalies = c.get("anomalies", {})
    if brief.kind == BriefKind.DISCIPLINE:
        context["anomaly_groups"] = [
            ("new", _("New"), _anomalies(anomalies.get("new", []))),
            ("verified", _("Verified"), _anomalies(anomalies.get("verified", []))),
            ("tracking", _("Under tracking"), _anomalies(anomalies.get("tracking", []))),
            ("closed", _("Closed"), _anomalies(anomalies.get("closed", []))),
        ]
    else:
        context["anomalies_new"] = _anomalies(anomalies.get("new", []))
        context["anomalies_overdue"] = _anomalies(anomalies.get("overdue", []))
        context["verifications_due"] = _anomalies(c.get("verifications_due", []))
    zero = c.get("zero_reports", {})
    context["zero"] = zero
    context["zero_days"] = [format_date(dt.date.fromisoformat(day)) for day in zero.get("days", [])]
    context["zero_missing"] = [
        {**row, "discipline_label": _discipline_label(row["discipline"])} for row in zero.get("missing", [])
    ]
    context["zero_pending"] = [
        {**row, "discipline_label": _discipline_label(row["discipline"])} for row in zero.get("pending", [])
    ]
    context["zero_by_discipline"] = [
        {**tally, "code": code, "label": _discipline_label(code)}
        for code, tally in sorted(zero.get("by_discipline", {}).items())
    ]
    products = c.get("products", {})
    context["runs"] = _runs(products.get("runs", []))
    context["runs_crossed"] = _runs(products.get("crossed", []))
    kinds = dict(MeetingKind.choices)
    context["meetings"] = [
        {**m, "kind_label": kinds.get(m["kind"], m["kind"]), "starts_bj": _when(m.get("starts_at"))}
        for m in c.get("meetings", [])
    ]
    context["has_meetings_section"] = "meetings" in c
    context["has_anchor_section"] = "audit_anchor" in c  # daily briefs compiled since the chain has anchors
    anchor = c.get("audit_anchor")
    if anchor:
        context["anchor_day"] = format_date(dt.date.fromisoformat(anchor["day"]))
    return context


def brief_html(brief: Brief) -> str:
    return render_html(TEMPLATE, brief_context(brief))


def brief_pdf(brief: Brief, *, language: str | None = None) -> bytes:
    return render_pdf(TEMPLATE, brief_context(brief), language=language)
