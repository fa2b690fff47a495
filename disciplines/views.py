"""Pages of the disciplines app: the phone-first report form, the submission matrix, the CSV
import, anomalies (list, map, timeline, detail with its moves), the verification report
(form and PDF), the assessment form, exports and the bureau's settings."""

from __future__ import annotations

import base64
import json
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.exceptions import NotFound, PortalError
from portal.files import serve_file
from portal.selectors import user_by_id
from portal.validators import is_work_date

from . import exports, permissions, selectors
from .forms import (
    AssignForm,
    CommentForm,
    CsvImportForm,
    ExpertAnomalyForm,
    RatingForm,
    SettingsForm,
    UnitForm,
    VerificationForm,
    ZeroReportForm,
)
from .matrix import matrix_rows_html
from .models import Anomaly, Attachment, ZeroReport
from .services import anomalies as anomaly_services
from .services import units as unit_services
from .services import zero_reports as zero_report_services
from .services.anomalies import ACTION_BUTTONS, ACTION_LABELS, TRANSITION_SERVICES, rating_summary

STATE_COLOURS = {
    "reported": "#e67e22",
    "returned": "#95a5a6",
    "verifying": "#2980b9",
    "verified": "#8e44ad",
    "assessed": "#16a085",
    "tracking": "#c0392b",
    "closed": "#7f8c8d",
}


def _page_error(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(request, "portal/error.html", {"message": message}, status=status)


def _no_actor(request: HttpRequest) -> HttpResponse | None:
    if request.actor is None or request.actor.bureau is None:
        return render(request, "portal/no_role.html", status=403)
    return None


def _date(value: str | None, default: date) -> date:
    try:
        parsed = parse_date(value) if value else None
    except ValueError:  # well-formed but impossible dates fall back to the default
        parsed = None
    if parsed is not None and not is_work_date(parsed):  # 0001 or 9999: a typo, and 500s later
        parsed = None
    return parsed or default


def _default_period(unit_schedule: str = "daily") -> date:
    """Before 10:00 people are still reporting yesterday; after, today."""
    now = timezone.localtime()
    return now.date() - timedelta(days=1) if now.hour < 10 else now.date()


# --- zero-reports --------------------------------------------------------------------------


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
            "rows_html": mark_safe(matrix_rows_html(data)),
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


# --- anomalies -----------------------------------------------------------------------------


def _anomaly_filters(request: HttpRequest) -> dict[str, Any]:
    state = request.GET.get("state") or None
    return {
        "state": state if state in Anomaly.State.values else None,
        "discipline": request.GET.get("discipline") or None,
        "open_only": request.GET.get("open") == "1",
    }


@login_required
def anomaly_list(request: HttpRequest) -> HttpResponse:
    if request.actor is None:
        return render(request, "portal/no_role.html", status=403)
    filters = _anomaly_filters(request)
    anomalies = selectors.anomaly_list(actor=request.actor, **filters)
    page = Paginator(anomalies, 30).get_page(request.GET.get("page"))
    now = timezone.now()
    query = "&".join(f"{k}={request.GET[k]}" for k in ("state", "discipline", "open") if request.GET.get(k))
    can_report = any(permissions.can_report_anomaly(request.actor, d) for d in selectors.discipline_list())
    return render(
        request,
        "disciplines/anomaly_list.html",
        {
            "page": page,
            "now": now,
            "states": Anomaly.State.choices,
            "disciplines": selectors.discipline_list(),
            "filters": filters,
            "extra_query": f"{query}&" if query else "",
            "can_report": can_report,
        },
    )


@login_required
def anomaly_new(request: HttpRequest) -> HttpResponse:
    """An anomaly from an expert's analysis or an automatic product."""
    if (refused := _no_actor(request)) is not None:
        return refused
    actor = request.actor
    disciplines = [d for d in selectors.discipline_list() if permissions.can_report_anomaly(actor, d)]
    if not disciplines:
        return _page_error(
            request, _("Only an expert of the discipline or a forecaster reports anomalies here."), 403
        )
    form = ExpertAnomalyForm(request.POST or None, request.FILES or None, disciplines=disciplines)
    if request.method == "POST" and form.is_valid():
        from django.contrib.gis.geos import Point

        data = form.cleaned_data
        location = (
            Point(data["lon"], data["lat"], srid=4326)
            if data["lon"] is not None and data["lat"] is not None
            else None
        )
        try:
            anomaly = anomaly_services.anomaly_report(
                actor=actor,
                source=data["source"],
                discipline=selectors.discipline_by_code(code=data["discipline"]),
                station=data["station"],
                observation_item=data["observation_item"],
                onset_at=data["onset_at"],
                description=data["description"],
                location=location,
                product_reference=data["product_reference"],
                files=data["attachments"],
            )
        except PortalError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("disciplines:anomaly-detail", anomaly.pk)
    return render(request, "disciplines/anomaly_new.html", {"form": form})


def _anomaly_for_page(request: HttpRequest, anomaly_id: int) -> Anomaly | HttpResponse:
    """The anomaly the signed-in person may see, or the refusal page to return instead."""
    if request.actor is None:
        return render(request, "portal/no_role.html", status=403)
    try:
        return selectors.anomaly_get(actor=request.actor, anomaly_id=anomaly_id)
    except NotFound:
        return _page_error(request, _("Not found."), 404)


@login_required
def anomaly_detail(request: HttpRequest, anomaly_id: int) -> HttpResponse:
    anomaly = _anomaly_for_page(request, anomaly_id)
    if isinstance(anomaly, HttpResponse):
        return anomaly
    actor = request.actor
    actions = anomaly_services.allowed_actions(actor, anomaly)
    # the verifier already holding it cannot take it again (reassign refuses them)
    experts = selectors.discipline_experts(
        bureau=anomaly.bureau_id, discipline=anomaly.discipline_id
    ).exclude(pk=anomaly.assignee_id)
    attachments = list(selectors.anomaly_attachments(anomaly=anomaly))
    ratings = list(selectors.anomaly_ratings(anomaly=anomaly))
    verification = selectors.anomaly_verification(anomaly=anomaly)
    return render(
        request,
        "disciplines/anomaly_detail.html",
        {
            "anomaly": anomaly,
            "actions": [(a, ACTION_BUTTONS[a]) for a in actions if a not in ("assign", "reassign")],
            "can_assign": "assign" in actions,
            "can_reassign": "reassign" in actions,
            "assign_form": AssignForm(experts=experts, initial={"assignee": actor.user.pk}),  # assign to me
            "comment_form": CommentForm(),
            "history": list(selectors.anomaly_history(anomaly=anomaly)),
            "evidence": [a for a in attachments if a.purpose == Attachment.Purpose.EVIDENCE],
            "figures": [a for a in attachments if a.purpose == Attachment.Purpose.FIGURE],
            "verification": verification,
            "ratings": ratings,
            "summary": rating_summary(ratings),
            "can_verify": permissions.can_verify_anomaly(actor, anomaly)
            and anomaly.state == Anomaly.State.VERIFYING,
            "can_rate": permissions.can_rate_anomaly(actor, anomaly)
            and anomaly.state == Anomaly.State.VERIFIED,
            "overdue": anomaly.is_overdue(timezone.now()),
            "location_json": json.dumps([anomaly.location.y, anomaly.location.x])
            if anomaly.location
            else "null",
            "state_colour": STATE_COLOURS.get(anomaly.state, "#555"),
        },
    )


@login_required
@require_POST
def anomaly_transition(request: HttpRequest, anomaly_id: int, action: str) -> HttpResponse:
    if request.actor is None or action not in TRANSITION_SERVICES:
        return _page_error(request, _("Not found."), 404)
    try:
        anomaly = selectors.anomaly_get(actor=request.actor, anomaly_id=anomaly_id)
        kwargs: dict[str, Any] = {"comment": request.POST.get("comment", "")}
        if action in ("assign", "reassign"):
            experts = selectors.discipline_experts(bureau=anomaly.bureau_id, discipline=anomaly.discipline_id)
            form = AssignForm(request.POST, experts=experts)
            if not form.is_valid():
                messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
                return redirect("disciplines:anomaly-detail", anomaly_id)
            kwargs["assignee"] = user_by_id(user_id=form.cleaned_data["assignee"])
            kwargs["due_at"] = form.cleaned_data["due_at"]
        TRANSITION_SERVICES[action](actor=request.actor, anomaly=anomaly, **kwargs)
    except NotFound:
        return _page_error(request, _("Not found."), 404)
    except PortalError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Done: %(action)s.") % {"action": ACTION_LABELS[action]})
    return redirect("disciplines:anomaly-detail", anomaly_id)


@login_required
def verification_edit(request: HttpRequest, anomaly_id: int) -> HttpResponse:
    anomaly = _anomaly_for_page(request, anomaly_id)
    if isinstance(anomaly, HttpResponse):
        return anomaly
    if not (
        permissions.can_verify_anomaly(request.actor, anomaly) and anomaly.state == Anomaly.State.VERIFYING
    ):
        return _page_error(
            request, _("Only the assigned verifier writes the verification report, while verifying."), 403
        )
    existing = selectors.anomaly_verification(anomaly=anomaly)
    initial: dict[str, Any] = {
        "observation": f"{anomaly.place} {anomaly.observation_item}",
        "onset_at": timezone.localtime(anomaly.onset_at),
    }
    if existing:
        initial.update(
            {
                k: getattr(existing, k)
                for k in ("observation", "instrument", "shape", "amplitude", "analysis", "conclusion")
            }
        )
        if existing.onset_at:
            initial["onset_at"] = timezone.localtime(existing.onset_at)
        for row in existing.check_rows():
            initial[f"check_{row['factor']}"] = row["result"]
            initial[f"finding_{row['factor']}"] = row["finding"]
    form = VerificationForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        figures = data.pop("figures")
        fields = {
            k: data[k]
            for k in ("observation", "instrument", "onset_at", "shape", "amplitude", "analysis", "conclusion")
        }
        try:
            if figures:
                anomaly_services.anomaly_attach(
                    actor=request.actor, anomaly=anomaly, files=figures, purpose=Attachment.Purpose.FIGURE
                )
            anomaly_services.verification_save(
                actor=request.actor, anomaly=anomaly, checks=form.cleaned_checks(), **fields
            )
            if request.POST.get("submit") == "1":
                anomaly_services.anomaly_submit_verification(actor=request.actor, anomaly=anomaly)
        except PortalError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Verification report saved."))
            return redirect("disciplines:anomaly-detail", anomaly.pk)
    return render(request, "disciplines/verification_form.html", {"form": form, "anomaly": anomaly})


def _verification_context(anomaly: Anomaly) -> dict[str, Any]:
    from reports.rendering import png_data_uri

    verification = selectors.anomaly_verification(anomaly=anomaly)
    assert verification is not None  # the view checked it exists
    figures = []
    for attachment in selectors.anomaly_attachments(anomaly=anomaly):
        if attachment.purpose == Attachment.Purpose.FIGURE and attachment.is_image:
            try:
                with attachment.file.open("rb") as handle:
                    data = handle.read()
            except OSError:
                continue  # a file lost from storage leaves the report printable
            uri = (
                png_data_uri(data)
                if attachment.content_type == "image/png"
                else ("data:" + attachment.content_type + ";base64," + base64.b64encode(data).decode())
            )
            figures.append({"uri": uri, "caption": attachment.caption or attachment.name})
    return {
        "title": _("Anomaly verification report"),
        "anomaly": anomaly,
        "verification": verification,
        "checks": verification.check_rows(),
        "figures": figures,
    }


@login_required
def verification_pdf(request: HttpRequest, anomaly_id: int) -> HttpResponse:
    """异常核实报告 as PDF through the reports renderer (``?html=1`` shows the same page in HTML)."""
    from reports.rendering import render_html, render_pdf

    anomaly = _anomaly_for_page(request, anomaly_id)
    if isinstance(anomaly, HttpResponse):
        return anomaly
    if selectors.anomaly_verification(anomaly=anomaly) is None:
        return _page_error(request, _("No verification report yet."), 404)
    context = _verification_context(anomaly)
    if request.GET.get("html") == "1":
        return HttpResponse(render_html("disciplines/verification_print.html", context))
    pdf = render_pdf("disciplines/verification_print.html", context)
    return serve_file(request, pdf, filename=f"verification-{anomaly.pk}.pdf", content_type="application/pdf")


@login_required
def assessment(request: HttpRequest, anomaly_id: int) -> HttpResponse:
    """The discipline assessment form (学科组评议表): every expert's line and my own."""
    anomaly = _anomaly_for_page(request, anomaly_id)
    if isinstance(anomaly, HttpResponse):
        return anomaly
    ratings = list(selectors.anomaly_ratings(anomaly=anomaly))
    mine = next((r for r in ratings if r.expert_id == request.user.pk), None)
    can_rate = (
        permissions.can_rate_anomaly(request.actor, anomaly) and anomaly.state == Anomaly.State.VERIFIED
    )
    initial = (
        {
            "credibility": mine.credibility,
            "relation": mine.relation,
            "recommendation": mine.recommendation,
            "comment": mine.comment,
        }
        if mine
        else {}
    )
    form = RatingForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not can_rate:
            return _page_error(
                request,
                _("Only experts of the discipline rate this anomaly, while it awaits assessment."),
                403,
            )
        if form.is_valid():
            try:
                anomaly_services.rating_save(actor=request.actor, anomaly=anomaly, **form.cleaned_data)
            except PortalError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("Your rating is saved."))
                return redirect("disciplines:assessment", anomaly.pk)
    actions = anomaly_services.allowed_actions(request.actor, anomaly)
    return render(
        request,
        "disciplines/assessment.html",
        {
            "anomaly": anomaly,
            "ratings": ratings,
            "summary": rating_summary(ratings),
            "verification": selectors.anomaly_verification(anomaly=anomaly),
            "form": form,
            "can_rate": can_rate,
            "actions": [
                (a, ACTION_BUTTONS[a])
                for a in actions
                if a in ("assess", "return_assessment", "track", "close")
            ],
            "experts": selectors.discipline_experts(
                bureau=anomaly.bureau_id, discipline=anomaly.discipline_id
            ),
        },
    )


@login_required
def attachment_download(request: HttpRequest, attachment_id: int) -> HttpResponse:
    """Files are served only to people who may read the anomaly (media is not public)."""
    try:
        attachment = selectors.attachment_get(actor=request.actor, attachment_id=attachment_id)
        return serve_file(
            request, attachment.file, filename=attachment.name, content_type=attachment.content_type
        )
    except (NotFound, Http404):
        return _page_error(request, _("Not found."), 404)


def _anomaly_features(anomalies: Any, language: str) -> dict[str, Any]:
    features = []
    for anomaly in anomalies:
        if not anomaly.location:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [anomaly.location.x, anomaly.location.y]},
                "properties": {
                    "id": anomaly.pk,
                    "bureau": anomaly.bureau.code,
                    "discipline": anomaly.discipline.code,
                    "discipline_name": anomaly.discipline.display_name(language),
                    "state": anomaly.state,
                    "state_label": str(anomaly.get_state_display()),
                    "place": anomaly.place,
                    "item": anomaly.observation_item,
                    "onset": timezone.localtime(anomaly.onset_at).strftime("%Y-%m-%d %H:%M"),
                    "url": reverse("disciplines:anomaly-detail", args=[anomaly.pk]),
                    "colour": STATE_COLOURS.get(anomaly.state, "#555"),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


@login_required
def anomaly_map(request: HttpRequest) -> HttpResponse:
    if request.actor is None:
        return render(request, "portal/no_role.html", status=403)
    return render(
        request,
        "disciplines/anomaly_map.html",
        {
            "disciplines": selectors.discipline_list(),
            "states": Anomaly.State.choices,
            "colours": STATE_COLOURS,
        },
    )


@login_required
def anomaly_geojson(request: HttpRequest) -> JsonResponse:
    """Open anomalies (``?all=1``: closed too) the person may read, as GeoJSON."""
    filters = _anomaly_filters(request)
    filters["open_only"] = request.GET.get("all") != "1"
    anomalies = selectors.anomaly_list(actor=request.actor, **filters)[:5000]
    return JsonResponse(_anomaly_features(anomalies, getattr(request, "LANGUAGE_CODE", "zh-hans")))


@login_required
def anomaly_timeline(request: HttpRequest) -> HttpResponse:
    """Anomalies on a time axis: a bar from onset to closing (or today), one lane per discipline."""
    if request.actor is None:
        return render(request, "portal/no_role.html", status=403)
    today = selectors.beijing_today()
    start = _date(request.GET.get("start"), today - timedelta(days=90))
    end = _date(request.GET.get("end"), today)
    if start >= end:
        start = end - timedelta(days=90)
    anomalies = list(
        selectors.anomaly_list(
            actor=request.actor, start=start, end=end, discipline=request.GET.get("discipline") or None
        )[:400]
    )
    span = max((end - start).days, 1)
    lanes: dict[str, list[dict[str, Any]]] = {}
    for anomaly in sorted(anomalies, key=lambda a: a.onset_at):
        begin = timezone.localtime(anomaly.onset_at).date()
        finish = timezone.localtime(anomaly.closed_at).date() if anomaly.closed_at else today
        left = max(0.0, (begin - start).days / span * 100)
        width = max(0.8, min(100 - left, (finish - max(begin, start)).days / span * 100))
        lanes.setdefault(anomaly.discipline.name_zh, []).append(
            {
                "anomaly": anomaly,
                "left": round(left, 2),
                "width": round(width, 2),
                "colour": STATE_COLOURS.get(anomaly.state, "#555"),
            }
        )
    months = []
    cursor = date(start.year, start.month, 1)
    while cursor <= end:
        if cursor >= start:
            months.append(
                {"label": cursor.strftime("%Y-%m"), "left": round((cursor - start).days / span * 100, 2)}
            )
        cursor = date(cursor.year + (cursor.month == 12), cursor.month % 12 + 1, 1)
    return render(
        request,
        "disciplines/anomaly_timeline.html",
        {
            "lanes": lanes,
            "months": months,
            "start": start,
            "end": end,
            "colours": STATE_COLOURS,
            "states": Anomaly.State.choices,
            "disciplines": selectors.discipline_list(),
        },
    )


@login_required
def anomaly_export(request: HttpRequest) -> HttpResponse:
    if request.actor is None:
        return render(request, "portal/no_role.html", status=403)
    anomalies = selectors.anomaly_list(actor=request.actor, **_anomaly_filters(request))
    header, rows = exports.anomaly_rows(anomalies.iterator(chunk_size=2000))
    return _export(request, header, rows, "anomalies")


# --- units and settings --------------------------------------------------------------------


@login_required
def unit_list(request: HttpRequest) -> HttpResponse:
    if (refused := _no_actor(request)) is not None:
        return refused
    discipline = request.GET.get("discipline") or None
    units = selectors.unit_list(actor=request.actor, discipline=discipline).prefetch_related("reporters")
    page = Paginator(units, 50).get_page(request.GET.get("page"))
    points = [
        {
            "lat": u.location.y,
            "lon": u.location.x,
            "name": f"{u.code} {u.name}",
            "discipline": u.discipline.code,
        }
        for u in units.only("code", "name", "location", "discipline__code")[:3000]
    ]
    return render(
        request,
        "disciplines/unit_list.html",
        {
            "page": page,
            "points": points,
            "disciplines": selectors.discipline_list(),
            "discipline": discipline or "",
            "extra_query": f"discipline={discipline}&" if discipline else "",
            "can_manage": permissions.can_manage_units(request.actor),
        },
    )


@login_required
def unit_new(request: HttpRequest) -> HttpResponse:
    """A bureau admin adds a reporting unit and names its reporters."""
    if (refused := _no_actor(request)) is not None:
        return refused
    actor = request.actor
    if not permissions.can_manage_units(actor):
        return _page_error(request, _("Only a bureau administrator manages reporting units."), 403)
    reporters = list(selectors.bureau_reporters(actor=actor))
    form = UnitForm(request.POST or None, disciplines=selectors.discipline_list(), reporters=reporters)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        chosen = [u for u in reporters if u.pk in set(data["reporters"])]
        try:
            unit = unit_services.unit_create(
                actor=actor,
                code=data["code"],
                name=data["name"],
                kind=data["kind"],
                discipline=selectors.discipline_by_code(code=data["discipline"]),
                lon=data["lon"],
                lat=data["lat"],
                observation_items=form.observation_item_list(),
                reporters=chosen,
                schedule=data["schedule"],
                deadline_time=data["deadline_time"],
            )
        except PortalError as exc:
            field = exc.field if exc.field in form.fields else ("lon" if exc.field == "location" else None)
            form.add_error(field, exc.message)
        else:
            messages.success(request, _("Reporting unit %(code)s added.") % {"code": unit.code})
            return redirect("disciplines:units")
    return render(request, "disciplines/unit_form.html", {"form": form})


@login_required
def anomaly_settings(request: HttpRequest) -> HttpResponse:
    if (refused := _no_actor(request)) is not None:
        return refused
    if not permissions.can_manage_anomaly_settings(request.actor):
        return _page_error(request, _("Only a bureau administrator changes these settings."), 403)
    current = selectors.anomaly_settings_for(bureau=request.actor.bureau)
    form = SettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        try:
            unit_services.anomaly_settings_update(
                actor=request.actor,
                verification_hours=form.cleaned_data["verification_hours"],
                assessment_hours=form.cleaned_data["assessment_hours"],
            )
        except PortalError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("disciplines:settings")
    return render(request, "disciplines/settings.html", {"form": form})
