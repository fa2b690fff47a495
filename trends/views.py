"""Pages of the monthly trend reports: the list (with "new report"), a report's page (sections,
figures, compile progress, text editing, workflow buttons, history, versions), its phone page,
PDF, figures, the changes against the version before, and a small JSON of the compilation's
state that the page polls."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.exceptions import NotFound, PermissionDenied, PortalError
from portal.files import serve_file
from portal.pages import error_page, page
from portal.readership import record_view
from portal.services import data_access_record_of

from . import permissions as perms
from . import selectors
from .changes import trend_report_changes
from .models import CompileStatus, TrendStatus
from .rendering import data_blocks, trend_report_html
from .services import trend_pdf, trend_workflow
from .services import trend_reports as trend_report_services

if TYPE_CHECKING:
    from portal.tenancy import Actor

    from .models import TrendReport


def _month_param(value: str) -> dt.date | None:
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        return dt.date(year, month, 1)
    except ValueError:
        return None


@page
def report_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    bureau = (request.GET.get("bureau") or "").replace("\x00", "").strip()[:16]
    month_text = (request.GET.get("month") or "").replace("\x00", "").strip()[:7]
    month = _month_param(month_text)
    status = request.GET.get("status") or ""
    if status not in TrendStatus.values:
        status = ""
    query = (request.GET.get("q") or "").replace("\x00", "").strip()[:100]
    qs = selectors.trend_report_list(actor=actor, bureau=bureau, month=month, status=status, q=query)
    page_obj = Paginator(qs, 25).get_page(request.GET.get("page"))
    kept = {"bureau": bureau, "month": month_text if month else "", "status": status}
    extra = urlencode({k: v for k, v in kept.items() if v})
    extra = f"{extra}&" if extra else ""
    return render(
        request,
        "trends/report_list.html",
        {
            "page": page_obj,
            "bureau": bureau,
            "month": month_text if month else "",
            "status": status,
            "statuses": TrendStatus.choices,
            "query": query,
            "extra_query": extra,
            "can_request": actor.bureau is not None and perms.can_draft_for(actor, actor.bureau),
            "default_month": trend_report_services.last_month().strftime("%Y-%m"),
            "max_month": trend_report_services.this_month().strftime("%Y-%m"),
        },
    )


@page
@require_POST
def report_new(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    try:
        if actor.bureau is None:
            raise PermissionDenied(_("Act in a bureau to ask for its trend report."))
        report, created = trend_report_services.trend_report_request(
            actor=actor,
            bureau=actor.bureau,
            month=trend_report_services.parse_month(request.POST.get("month", "")),
        )
    except PortalError as exc:
        messages.error(request, exc.message)
        return redirect("trends:report-list")
    if created:
        messages.success(request, _("The report is being compiled."))
    return redirect(report.get_absolute_url())


STYLES = {
    "submit": "primary",
    "review": "primary",
    "return": "outline-danger",
    "sign_off": "success",
    "issue": "success",
    "archive": "secondary",
}


def _actions(actor: Any, report: TrendReport) -> list[tuple[str, str, str]]:
    workflow = trend_workflow.WORKFLOW
    return [
        (action, str(workflow.transitions[action].button), STYLES.get(action, "secondary"))
        for action in workflow.allowed_actions(actor, report)
    ]


def _post(request: HttpRequest, report: TrendReport) -> HttpResponse:
    actor = request.actor
    action = request.POST.get("action", "")
    try:
        if action == "edit":
            key = request.POST.get("key", "")
            trend_report_services.trend_section_update(
                actor=actor, report=report, key=key, text=request.POST.get("text", "")
            )
            messages.success(request, _("Saved."))
            return redirect(f"{report.get_absolute_url()}#section-{key}")
        if action == "recompile":
            trend_report_services.trend_report_recompile(actor=actor, report=report)
        elif action == "correct":
            correction = trend_report_services.trend_report_correct(
                actor=actor, report=report, note=request.POST.get("comment", "")
            )
            return redirect(correction.get_absolute_url())
        elif action in trend_workflow.ACTIONS:
            section_comments = {
                name[3:]: value
                for name, value in request.POST.items()
                if name.startswith("sc_") and value.strip()
            }
            trend_workflow.trend_report_transition(
                actor=actor,
                report=report,
                action=action,
                comment=request.POST.get("comment", ""),
                section_comments=section_comments if action == "return" else None,
            )
        else:
            return error_page(request, _("Unknown action."), 400)
    except PortalError as exc:
        if isinstance(exc, NotFound):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Done."))
    return redirect(report.get_absolute_url())


@page
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    actor = request.actor
    report = selectors.trend_report_get(actor=actor, report_id=report_id)
    if request.method == "POST":
        return _post(request, report)
    record_view(
        request=request,
        report_kind="trend_report",
        report_id=report.pk,
        bureau_id=report.bureau_id,
        version=report.version,
    )
    sections = selectors.trend_sections(report=report)
    actions = _actions(actor, report)
    can_draft = perms.can_draft_trend_report(actor, report)
    compiling = report.compile_status in (CompileStatus.QUEUED, CompileStatus.RUNNING)
    own = _own(actor, report)
    versions = list(selectors.trend_report_versions(actor=actor, report=report))
    return render(
        request,
        "trends/report_detail.html",
        {
            "report": report,
            "sections": [
                {
                    "section": s,
                    "title": _section_title(s.key),
                    "blocks": data_blocks(s.key, s.data or {}, links=own),
                }
                for s in sections
            ],
            "actions": actions,
            "can_return": any(a == "return" for a, _l, _s in actions),
            "can_edit": can_draft and report.status == TrendStatus.DRAFT,
            "can_recompile": can_draft and report.status == TrendStatus.DRAFT and not compiling,
            "can_correct": can_draft and report.is_frozen,
            "compiling": compiling,
            "history": _history(report),
            "versions": versions,
            "version_ids": [v.pk for v in versions],
        },
    )


def _history(report: TrendReport) -> list[Any]:
    """The report's audit rows; the compilation's rows name their states in words (they are
    states of ``compile_status``, which the history's labels of the report's workflow do not know)."""
    labels = dict(CompileStatus.choices)
    events = list(selectors.trend_report_audit(report=report))
    for event in events:
        if event.action.startswith("trend_compile."):
            event.from_state = str(labels.get(event.from_state, event.from_state))
            event.to_state = str(labels.get(event.to_state, event.to_state))
    return events


def _section_title(key: str) -> str:
    from .compilation import section_title

    return section_title(key)


@page
def report_status(request: HttpRequest, report_id: int) -> JsonResponse:
    """The compilation's state, polled by the report page while it compiles."""
    report = selectors.trend_report_get(actor=request.actor, report_id=report_id)
    return JsonResponse(
        {
            "id": report.pk,
            "status": report.status,
            "compile_status": report.compile_status,
            "compile_status_label": str(report.get_compile_status_display()),
            "compile_progress": report.compile_progress,
            "compile_note": report.compile_note,
            "compiled_at": report.compiled_at.isoformat() if report.compiled_at else None,
        }
    )


def _own(actor: Actor | None, report: TrendReport) -> bool:
    """Whether the links of the report's data (its bureau's anomalies, runs, meetings) open for
    this reader: people of the report's bureau (and the system admin)."""
    return bool(actor and (actor.is_system_admin or actor.bureau_id == report.bureau_id))


@page
def report_read(request: HttpRequest, report_id: int) -> HttpResponse:
    """The report as a phone page (the template the PDF prints)."""
    report = selectors.trend_report_get(actor=request.actor, report_id=report_id)
    record_view(
        request=request,
        report_kind="trend_report",
        report_id=report.pk,
        bureau_id=report.bureau_id,
        version=report.version,
    )
    return HttpResponse(trend_report_html(report, links=_own(request.actor, report)))


@page
def report_pdf(request: HttpRequest, report_id: int) -> HttpResponse:
    report = selectors.trend_report_get(actor=request.actor, report_id=report_id)
    source: Any = trend_pdf.trend_pdf_source(actor=request.actor, report=report)
    record_view(
        request=request,
        report_kind="trend_report",
        report_id=report.pk,
        bureau_id=report.bureau_id,
        version=report.version,
        pdf=True,
    )
    data_access_record_of(actor=request.actor, target=report, how="download")  # another bureau's, by a grant
    return serve_file(
        request,
        source,
        filename=f"trend-report-{report.bureau.code}-{report.month_label}-v{report.version}.pdf",
        content_type="application/pdf",
    )


@page
def report_changes(request: HttpRequest, report_id: int) -> HttpResponse:
    report = selectors.trend_report_get(actor=request.actor, report_id=report_id)
    return render(
        request, "trends/report_changes.html", {"report": report, "changes": trend_report_changes(report)}
    )


@page
def figure(request: HttpRequest, figure_id: int) -> HttpResponse:
    found = selectors.trend_figure_get(actor=request.actor, figure_id=figure_id)
    return serve_file(request, bytes(found.png), filename=f"{found.name}.png", content_type="image/png")
