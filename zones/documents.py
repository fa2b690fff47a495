"""The quarterly tracking report's PDF through ``portal.documents`` (DocumentKind
``tracking_report``), rendered by the one renderer (``printing.rendering.render_pdf``) in a
worker: queued when the report is issued, and for a draft's preview when someone opens it."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.translation import gettext as _

from portal import documents
from portal.models import Notification, RenderedDocument
from portal.services import notify_user
from portal.tenancy import bureau_reader
from printing.maps import MapLayer, draw_map
from printing.rendering import png_data_uri, render_pdf

from . import selectors

if TYPE_CHECKING:
    from portal.tenancy import Actor

    from .models import TrackingReport

KIND = "tracking_report"


def digest(report: TrackingReport) -> str:
    parts = [report.title, report.body, report.judgement, report.status, report.zone.updated_at.isoformat()]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()


def report_pdf_requested(report_id: int) -> RenderedDocument | None:
    report = selectors.report_for_worker(report_id=report_id)
    if report is None:
        return None
    return documents.document_request(
        kind=KIND,
        object_id=report.pk,
        bureau_id=report.bureau_id,
        digest=digest(report),
        requested_by_id=report.issued_by_id,
    )


def report_pdf_document(*, actor: Actor, report: TrackingReport) -> RenderedDocument:
    """The stored PDF, or a render queued for the current content (read through the caller's selector)."""
    return documents.document_for_reader(
        actor=actor, kind=KIND, object_id=report.pk, bureau_id=report.bureau_id, digest=digest(report)
    )


def zone_map_png(zone_polygon: list[tuple[float, float]], label: str) -> bytes:
    xs = [p[0] for p in zone_polygon]
    ys = [p[1] for p in zone_polygon]
    pad = max(max(xs) - min(xs), max(ys) - min(ys), 1.0) * 0.4
    layer = MapLayer(polygons=[{"rings": [zone_polygon], "color": "#c0392b", "label": label}])
    return draw_map(
        extent=(min(xs) - pad, max(xs) + pad, min(ys) - pad, max(ys) + pad), layer=layer, size=(6.0, 5.0)
    )


def _render(report_id: int) -> bytes:
    report = selectors.report_for_worker(report_id=report_id)
    if report is None:
        raise LookupError(f"tracking report {report_id} is gone")
    reader = bureau_reader(report.bureau)
    zone = report.zone
    ring = [(float(x), float(y)) for x, y in zone.polygon.coords[0]]
    return render_pdf(
        "zones/report_print.html",
        {
            "report": report,
            "zone": zone,
            "map_uri": png_data_uri(zone_map_png(ring, zone.name)),
            "anomalies": list(selectors.zone_anomalies(actor=reader, zone=zone)[:50]),
            "meetings": list(selectors.zone_meetings(actor=reader, zone=zone)[:20]),
            "title": report.title,
        },
    )


def _failed(document: RenderedDocument) -> None:
    report = selectors.report_for_worker(report_id=document.object_id)
    if report is None:
        return
    for person in {p for p in (document.requested_by, report.issued_by, report.created_by) if p is not None}:
        notify_user(
            user=person,
            title=_("The PDF of %(title)s could not be rendered") % {"title": report.title},
            body=document.error[:200],
            url=reverse("zones:report-pdf", args=[report.pk]),
            level=Notification.Level.WARNING,
            kind="document.failed",
            bureau=report.bureau,
        )


def register_documents() -> None:
    documents.register(documents.DocumentKind(name=KIND, render=_render, failed=_failed))
