"""Pages of post-quake cases: the bureau's list with its countdowns, one case with its draft."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.pages import page

from . import selectors
from .models import CaseState
from .services import can_redraft, draft_redraft

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse


@page
def case_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state") or None
    state = state if state in CaseState.values else None
    cases = Paginator(selectors.case_list(actor=request.actor, state=state), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "postquake/case_list.html",
        {"page": cases, "states": CaseState.choices, "state": state or ""},
    )


#: The draft's times (stored as ISO 8601 in JSON), read back as datetimes for |bjt / |bjdate.
DRAFT_TIMES = frozenset({"origin_time", "computed_at"})


def _with_times(value: Any, key: str = "") -> Any:
    """The draft with its times as datetimes (one that does not parse shows as nothing)."""
    if isinstance(value, dict):
        return {k: _with_times(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_times(v) for v in value]
    if key in DRAFT_TIMES and isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    return value


@page
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case = selectors.case_get(actor=request.actor, case_id=case_id)
    draft = _with_times(case.draft or {})
    return render(
        request,
        "postquake/case_detail.html",
        {
            "case": case,
            "draft": draft,
            "probabilities": (draft.get("probabilities") or {}),
            "can_redraft": can_redraft(request.actor, case),
        },
    )


@page
@require_POST
def case_redraft(request: HttpRequest, case_id: int) -> HttpResponse:
    """A failed draft, drafted again (the bureau's chair and forecasters): 403 for others,
    409 unless the draft failed."""
    case = selectors.case_get(actor=request.actor, case_id=case_id)
    draft_redraft(actor=request.actor, case=case)
    messages.success(request, _("The draft is being prepared again."))
    return redirect(case.get_absolute_url())
