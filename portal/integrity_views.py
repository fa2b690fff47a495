"""The system admin's integrity page: the audit chain's state and anchors, each check's last
run, "verify now" (a background job whose final state the page shows), the anchors file."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import integrity
from . import integrity_selectors as selectors
from .converters import parse_id
from .exceptions import NotFound, PermissionDenied
from .pages import page
from .permissions import can_check_integrity
from .timefmt import BEIJING

if TYPE_CHECKING:
    from django.http import HttpRequest

ANCHORS_SHOWN = 14
REFRESH_SECONDS = 3


def _refuse_unless_system_admin(request: HttpRequest) -> None:
    if not can_check_integrity(request.actor):  # type: ignore[attr-defined]
        raise PermissionDenied(_("Only a system administrator checks the audit trail and the stored data."))


@page
def integrity_page(request: HttpRequest) -> HttpResponse:
    """``?check=<id>`` shows that check (a notification's link); otherwise each kind's latest."""
    _refuse_unless_system_admin(request)
    actor = request.actor  # type: ignore[attr-defined]
    chosen = None
    if request.GET.get("check"):
        check_id = parse_id(request.GET.get("check"))
        if check_id is None:
            raise NotFound()
        chosen = selectors.integrity_check_get(actor=actor, check_id=check_id)
    sections = []
    for kind in integrity.kinds():
        latest = (
            chosen
            if chosen is not None and chosen.kind == kind.name
            else selectors.integrity_check_latest(kind=kind.name)
        )
        finished = selectors.integrity_check_latest(kind=kind.name, finished=True)
        sections.append({"kind": kind, "latest": latest, "finished": finished})
    running = any(s["latest"] is not None and s["latest"].status in ("queued", "running") for s in sections)
    anchors = list(selectors.anchors().reverse()[:ANCHORS_SHOWN])
    return render(
        request,
        "portal/manage/integrity.html",
        {
            "head": selectors.chain_head(),
            "anchors": anchors,
            "sections": sections,
            "refresh_seconds": REFRESH_SECONDS if running else 0,
        },
    )


@page
@require_POST
def integrity_verify(request: HttpRequest) -> HttpResponse:
    """POST ``kind``: queue a check of that kind (the one already queued or running if any)."""
    check = integrity.integrity_check_request(actor=request.actor, kind=(request.POST.get("kind") or "")[:32])  # type: ignore[attr-defined]
    messages.success(request, _("The check is queued; this page shows how it ends."))
    return redirect(f"{reverse('integrity')}?check={check.pk}#check-{check.kind}")


@page
def integrity_anchors(request: HttpRequest) -> HttpResponse:
    """The anchors file (JSON) to keep and sign outside the database."""
    _refuse_unless_system_admin(request)
    now = timezone.now()
    response = HttpResponse(integrity.anchors_export(now=now), content_type="application/json; charset=utf-8")
    stamp = now.astimezone(BEIJING).strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="ispec-audit-anchors-{stamp}.json"'
    return response
