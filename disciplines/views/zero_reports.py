"""Zero-report pages: the report form, the matrix, the CSV import and export."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from disciplines import exports, permissions, selectors
from disciplines.forms import CsvImportForm, ZeroReportForm
from disciplines.matrix import matrix_rows_html
from disciplines.models import ZeroReport
from disciplines.services import zero_reports as zero_report_services
from portal.exceptions import PortalError

from .common import _date, _default_period, _no_actor, _page_error


@login_required
def report(request: HttpRequest) -> HttpResponse:
    """The reporter's page: today's due units and the report form (phone first)."""
    if (refused := _no_actor(request)) is not None:
        return refused
    actor = request.actor
    units = list(selectors.units_held_by(actor=actor))
    form = ZeroReportForm(
        request.POST or None,
        request.FILES or None,
        units=units,
        initial={"period": _default_period(), "unit": request.GET.get("unit")},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            unit = selectors.unit_get(actor=actor, unit_id=data["unit"])
            details = None
            if data["status"] == ZeroReport.Status.ANOMALY:
                details = zero_report_services.AnomalyInput(
                    data["observation_item"], data["description"], data["onset_at"]
                )
            saved = zero_report_services.zero_report_submit(
                actor=actor,
                unit=unit,
                period=data["period"],
                status=data["status"],
                anomaly=details,
                files=data["attachments"],
                source=ZeroReport.Source.WEB,
            )
        except PortalError as exc:
            name = (exc.field or "").removeprefix("anomaly.")
            form.add_error(name if name in form.fields else None, exc.message)
        else:
            message = _("Report for %(unit)s, %(period)s saved.") % {
                "unit": saved.unit.name,
                "period": saved.period.isoformat(),
            }
            if saved.is_late:
                message += " " + _("It was submitted after the deadline and is marked late.")
            messages.success(request, message)
            if saved.anomaly_id:  # land on the anomaly just reported: its state, files and history
                return redirect("disciplines:anomaly-detail", saved.anomaly_id)
            return redirect("disciplines:report")
    due = selectors.units_due(actor=actor)
    recent = selectors.zero_report_list(actor=actor).filter(unit__in=units)[:10] if units else []
    items = sorted({item for u in units for item in u.observation_items})
    return render(
        request,
        "disciplines/report.html",
        {"form": form, "units": units, "due": due, "recent": recent, "observation_items": items},
    )


@login_required
def matrix(request: HttpRequest) -> HttpResponse:
    """Units by days, coloured on time / late / missing / anomaly; live over the websocket."""
    if (refused := _no_actor(request)) is not None:
        return refused
    actor = request.actor
    if not permissions.can_view_matrix(actor):
        return _page_error(request, _("The submission matrix is for the bureau's discipline office."), 403)
    today = selectors.beijing_today()
    end = min(_date(request.GET.get("end"), today), today + timedelta(days=1))
    start = _date(request.GET.get("start"), end - timedelta(days=30))
    if start > end or (end - start).days > 92:
        messages.warning(request, _("Choose at most 93 days, start before end."))
        start, end = end - timedelta(days=30), end
    discipline = request.GET.get("discipline") or ""
    try:
        per_page = max(20, min(int(request.GET.get("per_page", 200)), 2000))
    except ValueError:
        per_page = 200
    units = selectors.unit_list(actor=actor, discipline=discipline or None).filter(bureau_id=actor.bureau_id)
    page = Paginator(units, per_page).get_page(request.GET.get("page"))
    data = selectors.zero_report_matrix(actor=actor, units=list(page.object_list), start=start, end=end)
    query = {
        "discipline": discipline,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "per_page": per_page,
    }
    return render(
        request,
        "disciplines/matrix.html",
        {
            "page": page,
            "matrix": data,
            "rows_html": matrix_rows_html(data),  # escaped by format_html
            "totals": data.totals(),
            "disciplines": selectors.discipline_list(),
            "discipline": discipline,
            "start": start,
            "end": end,
            "today": today,
            "extra_query": "&".join(f"{k}={v}" for k, v in query.items()) + "&",
        },
    )


@login_required
def import_csv(request: HttpRequest) -> HttpResponse:
    if (refused := _no_actor(request)) is not None:
        return refused
    if not permissions.can_import_zero_reports(request.actor):
        return _page_error(request, _("Only reporters and bureau administrators import zero-reports."), 403)
    form = CsvImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = zero_report_services.zero_report_import_csv(
                actor=request.actor,
                raw=form.cleaned_data["file"].read(),
                import_valid=form.cleaned_data["import_valid"],
                filename=form.cleaned_data["file"].name,
            )
        except PortalError as exc:
            form.add_error("file", exc.message)
        else:
            if result.imported:
                messages.success(request, _("%(n)d report(s) imported.") % {"n": result.imported})
            elif result.errors:
                messages.error(
                    request, _("%(n)d line(s) have errors; nothing was stored.") % {"n": len(result.errors)}
                )
    return render(request, "disciplines/import.html", {"form": form, "result": result})


def _export(request: HttpRequest, header: list[str], rows: Any, name: str) -> HttpResponse:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if request.GET.get("format") == "xlsx":
        body = exports.to_xlsx(header, rows, title=name)
        response = HttpResponse(
            body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.xlsx"'
        return response
    response = HttpResponse(exports.to_csv(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    return response


@login_required
def zero_report_export(request: HttpRequest) -> HttpResponse:
    if (refused := _no_actor(request)) is not None:
        return refused
    today = selectors.beijing_today()
    reports = selectors.zero_report_list(
        actor=request.actor,
        discipline=request.GET.get("discipline") or None,
        start=_date(request.GET.get("start"), today - timedelta(days=30)),
        end=_date(request.GET.get("end"), today),
    )
    header, rows = exports.zero_report_rows(reports.iterator(chunk_size=2000))
    return _export(request, header, rows, "zero-reports")
