"""The consultation report as HTML and PDF through the portal's one renderer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

from portal.timefmt import format_time
from printing.maps import MapLayer, draw_map
from printing.rendering import png_data_uri, render_html, render_pdf

from .models import ConsultationReport, Likelihood, MeetingKind
from .services.report_workflow import report_content

TEMPLATE = "consultations/report_print.html"
COLOURS = {"high": "#c0392b", "medium": "#e67e22", "low": "#f1c40f"}


def _rings(geometry: dict[str, Any]) -> list[list[tuple[float, float]]]:
    if geometry["type"] == "Polygon":
        return [[tuple(p) for p in geometry["coordinates"][0]]]
    return [[tuple(p) for p in polygon[0]] for polygon in geometry["coordinates"]]


def forecast_map_png(content: dict[str, Any]) -> bytes | None:
    """A map of the conclusion's forecast regions, coloured by likelihood; None without any."""
    polygons = []
    for index, forecast in enumerate(content.get("forecasts", []), 1):
        polygons.append(
            {
                "rings": _rings(forecast["region"]),
                "color": COLOURS.get(forecast["likelihood"], "#c0392b"),
                "label": f"{index}",
            }
        )
    if not polygons:
        return None
    xs = [p[0] for poly in polygons for ring in poly["rings"] for p in ring]
    ys = [p[1] for poly in polygons for ring in poly["rings"] for p in ring]
    pad = max(1.5, (max(xs) - min(xs)) * 0.3, (max(ys) - min(ys)) * 0.3)
    extent = (min(xs) - pad, max(xs) + pad, min(ys) - pad, max(ys) + pad)
    return draw_map(
        extent=extent,
        layer=MapLayer(polygons=polygons),
        title=_("Forecast regions"),
        highlight=[content["meeting"]["bureau"]],
    )


def report_context(report: ConsultationReport, *, with_map: bool = True) -> dict[str, Any]:
    content = report_content(report)
    kinds = dict(MeetingKind.choices)
    likelihoods = dict(Likelihood.choices)
    for item in [*content.get("opinions", []), *content.get("forecasts", [])]:
        item["likelihood_label"] = likelihoods.get(item.get("likelihood") or "", "")
    png = forecast_map_png(content) if with_map else None
    starts = dt.datetime.fromisoformat(content["meeting"]["starts_at"])
    return {
        "report": report,
        "content": content,
        "starts_at": format_time(starts, label=True),
        "kind_label": kinds.get(content["meeting"]["kind"], content["meeting"]["kind"]),
        "map_uri": png_data_uri(png) if png else "",
        "title": report.title,
    }


def report_html(report: ConsultationReport) -> str:
    """The phone-friendly page of the report."""
    return render_html(TEMPLATE, report_context(report))


def report_pdf(report: ConsultationReport) -> bytes:
    return render_pdf(TEMPLATE, report_context(report))
