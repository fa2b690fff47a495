"""Pages of the briefs: the list (with "compile now"), a brief, its PDF, the bureau's settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.exceptions import InvalidTransition, NotFound, PermissionDenied, PortalError
from portal.files import serve_document
from portal.pages import page
from portal.readership import record_view
from portal.timefmt import today

from . import brief_selectors
from .brief_forms import BriefCompileForm, BriefFilterForm, BriefSettingsForm
from .brief_permissions import can_compile_brief, can_manage_brief_settings
from .brief_rendering import brief_context
from .models import Brief, BriefKind
from .services import brief_pdf as brief_pdf_services
from .services import briefs as brief_services

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse


def _report_kind(brief: Brief) -> str:
    return "discipline_report" if brief.kind == BriefKind.DISCIPLINE else "brief"


@page
def brief_list(request: HttpRequest) -> HttpResponse:
    form = BriefFilterForm(request.GET or None)
    filters: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    briefs = brief_selectors.brief_list(
        actor=request.actor,
        kind=filters.get("kind") or None,
        discipline=filters.get("discipline") or None,
        start=filters.get("start"),
        end=filters.get("end"),
    )
    page_obj = Paginator(briefs, 20).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    may_compile = can_compile_brief(request.actor)
    return render(
        request,
        "trends/briefs/list.html",
        {
            "page": page_obj,
            "filter_form": form if form.is_bound else BriefFilterForm(),
            "extra_query": (query.urlencode() + "&") if query else "",
            "compile_form": BriefCompileForm(initial={"kind": BriefKind.DAILY, "date": today()})
            if may_compile
            else None,
            "may_manage": can_manage_brief_settings(request.actor),
        },
    )


@page
@require_POST
def brief_compile_now(request: HttpRequest) -> HttpResponse:
    if not can_compile_brief(request.actor):
        raise PermissionDenied(_("Only forecasters, chairs and the bureau admin compile briefs."))
    form = BriefCompileForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the form: %(errors)s") % {"errors": form.errors.as_text()})
        return redirect("trends:brief-list")
    data = form.cleaned_data
    try:
        brief, created = brief_services.brief_compile_on_demand(
            actor=request.actor,
            kind=data["kind"],
            day=data["date"],
            discipline_code=data.get("discipline") or None,
            refresh=data.get("refresh", False),
        )
    except PortalError as exc:
        if isinstance(exc, NotFound | PermissionDenied):
            raise
        messages.error(request, exc.message)
        return redirect("trends:brief-list")
    messages.success(request, _("Brief compiled.") if created else _("The brief exists; shown as compiled."))
    return redirect(brief.get_absolute_url())


@page
def brief_detail(request: HttpRequest, brief_id: int) -> HttpResponse:
    brief = brief_selectors.brief_get(actor=request.actor, brief_id=brief_id)
    record_view(
        request=request, report_kind=_report_kind(brief), report_id=brief.pk, bureau_id=brief.bureau_id
    )
    context = {**brief_context(brief), "brief_kind": _report_kind(brief)}
    context["may_compile"] = can_compile_brief(request.actor, brief.bureau)
    return render(request, "trends/briefs/detail.html", context)


@page
def brief_pdf(request: HttpRequest, brief_id: int) -> HttpResponse:
    """The brief's PDF, rendered in a worker: the stored file when ready, else a page that
    says how far it is and reloads; POST renders a failed one again."""
    brief = brief_selectors.brief_get(actor=request.actor, brief_id=brief_id)
    if request.method == "POST":
        try:
            brief_pdf_services.brief_pdf_retry(actor=request.actor, brief=brief)
        except InvalidTransition as exc:
            messages.error(request, exc.message)
        return redirect("trends:brief-pdf", brief.pk)
    document = brief_pdf_services.brief_pdf_document(actor=request.actor, brief=brief)
    if document.is_ready:
        record_view(
            request=request,
            report_kind=_report_kind(brief),
            report_id=brief.pk,
            bureau_id=brief.bureau_id,
            pdf=True,
        )
    return serve_document(
        request,
        document,
        filename=f"brief-{brief.bureau.code}-{brief.kind}-{brief.pk}.pdf",
        title=brief.title,
        can_retry=brief_pdf_services.can_retry_brief_pdf(request.actor, brief),
        back_url=reverse("trends:brief-detail", args=[brief.pk]),
    )


@page
def brief_settings(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    if not can_manage_brief_settings(actor):
        raise PermissionDenied(_("Only the bureau admin sets the briefs."))
    current = brief_selectors.brief_settings_for(bureau=actor.bureau)
    form = BriefSettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in brief_services.SETTINGS_FIELDS}
        try:
            brief_services.brief_settings_update(actor=actor, **data)
        except PortalError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Brief settings saved."))
            return redirect("trends:brief-settings")
    return render(request, "trends/briefs/settings.html", {"form": form, "settings_row": current})
