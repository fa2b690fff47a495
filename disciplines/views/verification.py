"""The verification report and the assessment of an anomaly."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from disciplines import permissions, selectors
from disciplines.forms import RatingForm, VerificationForm
from disciplines.models import Anomaly, Attachment
from disciplines.services import anomalies as anomaly_services
from disciplines.services import anomaly_workflow
from disciplines.services import assessment as assessment_services
from disciplines.services import verification as verification_services
from disciplines.services import verification_pdf as pdf_services
from disciplines.services.anomaly_workflow import ACTION_BUTTONS
from disciplines.services.assessment import rating_summary
from portal.exceptions import InvalidTransition, PermissionDenied, PortalError
from portal.files import serve_document
from portal.readership import record_view
from printing.rendering import render_html

from .common import _anomaly_for_page, _page_error


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
            verification_services.verification_save(
                actor=request.actor, anomaly=anomaly, checks=form.cleaned_checks(), **fields
            )
            if request.POST.get("submit") == "1":
                verification_services.anomaly_submit_verification(actor=request.actor, anomaly=anomaly)
        except PortalError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Verification report saved."))
            return redirect("disciplines:anomaly-detail", anomaly.pk)
    return render(request, "disciplines/verification_form.html", {"form": form, "anomaly": anomaly})


@login_required
def verification_pdf(request: HttpRequest, anomaly_id: int) -> HttpResponse:
    """异常核实报告 as PDF, rendered in a worker (services.verification_pdf): the stored file when
    it is ready, else a page that says how far it is and reloads; POST renders a failed one
    again. ``?html=1`` shows the same page in HTML (rendered here: it is cheap)."""
    anomaly = _anomaly_for_page(request, anomaly_id)
    if isinstance(anomaly, HttpResponse):
        return anomaly
    verification = selectors.anomaly_verification(anomaly=anomaly)
    if verification is None:
        return _page_error(request, _("No verification report yet."), 404)
    if request.method == "POST":
        try:
            pdf_services.verification_pdf_retry(
                actor=request.actor, anomaly=anomaly, verification=verification
            )
        except PermissionDenied as exc:
            return _page_error(request, exc.message, 403)
        except InvalidTransition as exc:  # not failed (any more): the page shows how it is
            messages.error(request, exc.message)
        return redirect("disciplines:verification-pdf", anomaly.pk)
    if request.GET.get("html") == "1":
        context = pdf_services.verification_context(anomaly, verification)
        response = HttpResponse(render_html(pdf_services.TEMPLATE, context))
        _record(request, verification)
        return response
    document = pdf_services.verification_pdf_document(
        actor=request.actor, anomaly=anomaly, verification=verification
    )
    response = serve_document(
        request,
        document,
        filename=f"verification-{anomaly.pk}.pdf",
        title=_("Anomaly verification report"),
        can_retry=pdf_services.can_retry_verification_pdf(request.actor, anomaly),
        back_url=reverse("disciplines:anomaly-detail", args=[anomaly.pk]),
    )
    if response.status_code == 200:  # the PDF itself, not the page saying it is on its way
        _record(request, verification, pdf=True)
    return response


def _record(request: HttpRequest, verification: Any, *, pdf: bool = False) -> None:
    """A reading of the verification report served (after the anomaly's visibility check)."""
    record_view(
        request=request,
        report_kind="verification",
        report_id=verification.pk,
        bureau_id=verification.bureau_id,
        pdf=pdf,
    )


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
                assessment_services.rating_save(actor=request.actor, anomaly=anomaly, **form.cleaned_data)
            except PortalError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("Your rating is saved."))
                return redirect("disciplines:assessment", anomaly.pk)
    actions = anomaly_workflow.allowed_actions(request.actor, anomaly)
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
