"""Pages of post-quake cases: the bureau's list with its countdowns, one case with its draft and
its opinions (the chair's edit form and the workflow's buttons), the bureau's settings."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.exceptions import NotFound, PortalError
from portal.pages import error_page, page

from . import charts, selectors
from . import permissions as perms
from . import punctuality as punctuality_report
from .forms import OpinionForm, SettingsForm
from .models import CaseState, OpinionState
from .services import can_redraft, case_transition, draft_redraft, opinion_edit, opinion_transition
from .services import opinions as opinion_services
from .services import pushes as push_services
from .services import settings as settings_services
from .wording import changes_in_words, opinion_text, trigger_words, type_label

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

    from portal.tenancy import Actor

    from .models import PostQuakeOpinion

STYLE = {"issue": "primary", "submit": "primary", "sign_off": "success", "return": "outline-warning"}


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
        {
            "page": cases,
            "states": CaseState.choices,
            "state": state or "",
            "can_manage_settings": perms.can_manage_postquake_settings(request.actor),
        },
    )


def _opinion_row(actor: Actor, opinion: PostQuakeOpinion) -> dict[str, Any]:
    actions = opinion_services.opinion_actions(actor, opinion)
    editable = opinion_services.can_edit(actor, opinion)
    text = opinion_text(opinion)
    return {
        "opinion": opinion,
        "text": text,
        "changes": changes_in_words(opinion.changes or {}),
        "sequence_type": type_label(opinion.sequence_type) if opinion.sequence_type else "",
        "trigger": trigger_words(opinion.trigger),
        "actions": [(a, opinion_services.OPINION_WORKFLOW.transitions[a].button, STYLE[a]) for a in actions],
        "form": (
            OpinionForm(
                initial={
                    "text": text,
                    "sequence_type": opinion.sequence_type,
                    "expected_max_magnitude": opinion.expected_max_magnitude,
                },
                prefix=f"o{opinion.number}",
            )
            if editable
            else None
        ),
        # The chair's words stand, but the figures under them moved since they were written.
        "stale": bool(
            opinion.text
            and opinion.recomputed_at
            and opinion.edited_at
            and opinion.recomputed_at > opinion.edited_at
        ),
    }


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
    actor = request.actor
    case = selectors.case_get(actor=actor, case_id=case_id)
    raw = case.draft or {}
    draft = _with_times(raw)
    opinions = list(selectors.opinion_list(actor=actor, case=case))
    for opinion in opinions:
        opinion.case = case
    rows = [_opinion_row(actor, opinion) for opinion in reversed(opinions)]
    figures = (
        {
            "map": charts.case_map(case, raw),
            "magnitude_time": charts.magnitude_time(raw),
            "cumulative": charts.cumulative(raw),
            "probability_bars": charts.probability_bars(raw),
            "mechanisms": charts.mechanism_balls(raw),
        }
        if raw
        else {}
    )
    return render(
        request,
        "postquake/case_detail.html",
        {
            "case": case,
            "draft": draft,
            "probabilities": (draft.get("probabilities") or {}),
            "type_label": type_label((draft.get("sequence_type") or {}).get("type")),
            "opinions": rows,
            "in_progress": [r for r in rows if r["opinion"].state != OpinionState.ISSUED],
            "issued": [r for r in rows if r["opinion"].state == OpinionState.ISSUED],
            "reevaluations": [
                (row, trigger_words(row.label))
                for row in selectors.reevaluation_list(actor=actor, case=case)[:50]
            ],
            "pushes": [
                (push, push.status == push.Status.FAILED and perms.can_retry_opinion_push(actor, push))
                for push in selectors.opinion_pushes(actor=actor, case=case)
            ],
            "can_close": case.state != CaseState.CLOSED and perms.can_chair_case(actor, case),
            "can_manage_settings": perms.can_manage_postquake_settings(actor),
            "figures": figures,
            "can_redraft": can_redraft(actor, case),
        },
    )


@page
def punctuality(request: HttpRequest) -> HttpResponse:
    """The first opinions of a month against their deadlines (``?month=YYYY-MM``, this month
    by default; a bad month is a 400 naming it)."""
    month = punctuality_report.parse_month(request.GET.get("month"))
    start, end = punctuality_report.month_bounds(month)
    cases = selectors.cases_of_month(actor=request.actor, start=start, end=end)
    result = punctuality_report.report(cases, month=month, now=timezone.now())
    return render(
        request,
        "postquake/punctuality.html",
        {
            "report": result,
            "month": month,
            "previous": punctuality_report.month_step(month, -1),
            "next": punctuality_report.month_step(month, 1),
            "several_bureaus": len({row.case.bureau_id for row in result.rows}) > 1,
        },
    )


@require_POST
@page
def opinion_post(request: HttpRequest, case_id: int, number: int) -> HttpResponse:
    """The chair's edit (``action=edit`` or ``refill``) or a move of the workflow."""
    actor = request.actor
    opinion = selectors.opinion_get(actor=actor, case_id=case_id, number=number)
    action = request.POST.get("action", "")
    try:
        if action in ("edit", "refill"):
            form = OpinionForm(request.POST, prefix=f"o{number}")
            if action == "edit" and not form.is_valid():
                field, errors = next(iter(form.errors.items()))
                messages.error(request, f"{form.fields[field].label}: {' '.join(errors)}")
                return redirect(opinion.get_absolute_url())
            data = {"refill": True} if action == "refill" else dict(form.cleaned_data)
            if action == "edit" and not opinion.text and _same(data.get("text"), opinion_text(opinion)):
                # The prefill came back untouched: keep it a prefill, so it follows the
                # structured judgement and the recomputed draft.
                data.pop("text")
            opinion_edit(actor=actor, opinion=opinion, data=data)
            messages.success(request, _("Saved."))
        elif action in opinion_services.ACTIONS:
            opinion_transition(
                actor=actor, opinion=opinion, action=action, comment=request.POST.get("comment", "")
            )
            messages.success(request, _("Done."))
        else:
            return error_page(request, _("Unknown action."), 400)
    except PortalError as exc:
        if isinstance(exc, NotFound):
            raise
        messages.error(request, exc.message)
    return redirect(opinion.get_absolute_url())


def _same(a: Any, b: str) -> bool:
    return " ".join(str(a or "").split()) == " ".join(b.split())


@require_POST
@page
def case_close(request: HttpRequest, case_id: int) -> HttpResponse:
    case = selectors.case_get(actor=request.actor, case_id=case_id)
    try:
        case_transition(
            actor=request.actor, case=case, action="close", comment=request.POST.get("comment", "")
        )
    except PortalError as exc:
        if isinstance(exc, NotFound):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The case is closed."))
    return redirect(case.get_absolute_url())


@require_POST
@page
def push_retry(request: HttpRequest, push_id: int) -> HttpResponse:
    push = selectors.opinion_push_get(actor=request.actor, push_id=push_id)
    try:
        push_services.opinion_push_retry(actor=request.actor, push=push)
    except PortalError as exc:
        if isinstance(exc, NotFound):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The push is tried again."))
    return redirect(push.opinion.case.get_absolute_url() + "#pushes")


@page
def settings_edit(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    if not perms.can_manage_postquake_settings(actor):
        return error_page(request, _("Only a bureau admin changes the post-quake settings."), 403)
    current = selectors.settings_get(actor=actor)
    initial = {name: getattr(current, name) for name in settings_services.FIELDS}
    initial["reevaluate_hours"] = ", ".join(str(h) for h in current.reevaluate_hours or [])
    form = SettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            settings_services.postquake_settings_update(actor=actor, **form.cleaned_data)
        except PortalError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Post-quake settings saved."))
            return redirect("postquake:settings")
    return render(request, "postquake/settings.html", {"form": form, "settings_row": current})


@require_POST
@page
def case_redraft(request: HttpRequest, case_id: int) -> HttpResponse:
    """A failed draft, drafted again (the bureau's chair and forecasters): 403 for others,
    409 unless the draft failed."""
    case = selectors.case_get(actor=request.actor, case_id=case_id)
    draft_redraft(actor=request.actor, case=case)
    messages.success(request, _("The draft is being prepared again."))
    return redirect(case.get_absolute_url())
