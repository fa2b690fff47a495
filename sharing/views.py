"""The data supermarket's pages: the catalog, a dataset (what it holds and how to get it; its
settings for its stewards), asking for it, the requests made and received (overdue marked),
answering one, pushes, and the bureau's sharing settings."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.exceptions import PermissionDenied, PortalError
from portal.pages import page
from portal.selectors import audit_for
from portal.timefmt import BEIJING

from . import permissions, selectors
from .forms import ApproveForm, DatasetForm, LevelForm, PushForm, ReasonForm, RequestForm, SettingsForm
from .models import DataRequest, DatasetKind, Level, Push, Zone
from .services import datasets as dataset_services
from .services import push_workflow, request_workflow
from .services import pushes as push_services
from .services import requests as request_services
from .services import sync as sync_services

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

PER_PAGE = 20


def _choice(value: str | None, allowed: list[str]) -> str:
    return value if value in allowed else ""


@page
def catalog(request: HttpRequest) -> HttpResponse:
    """Browse and search the datasets of every bureau (a dataset not shared: one's own only)."""
    actor = request.actor
    chosen = {
        "kind": _choice(request.GET.get("kind"), DatasetKind.values),
        "zone": _choice(request.GET.get("zone"), Zone.values),
        "level": _choice(request.GET.get("level"), Level.values),
        "bureau": (request.GET.get("bureau") or "").strip()[:16],
    }
    text = (request.GET.get("q") or "").strip()[:100]
    datasets = selectors.dataset_list(actor=actor, text=text, **chosen)
    rows = Paginator(datasets, PER_PAGE).get_page(request.GET.get("page"))
    extra = "".join(f"{urlencode({name: value})}&" for name, value in chosen.items() if value)
    return render(
        request,
        "sharing/catalog.html",
        {
            "page": rows,
            "query": text,
            "extra_query": extra,
            "chosen": chosen,
            "kinds": DatasetKind.choices,
            "zones": Zone.choices,
            "levels": Level.choices,
            "bureaus": selectors.bureau_codes_with_datasets(actor=actor),
            "language": get_language(),
            "can_manage": permissions.can_manage_datasets(actor),
        },
    )


@page
def dataset_detail(request: HttpRequest, dataset_id: int) -> HttpResponse:
    """What a dataset holds and how to get it; its settings, grants and readers for its stewards."""
    actor = request.actor
    dataset = selectors.dataset_get(actor=actor, dataset_id=dataset_id)
    now = timezone.now()
    mine = actor.bureau_id == dataset.bureau_id
    steward = permissions.can_edit_dataset(actor, dataset)
    my_grants = selectors.my_grants(actor=actor, dataset=dataset, now=now)
    readable = mine or dataset.level == Level.OPEN or bool(my_grants) or actor.is_system_admin
    context: dict[str, Any] = {
        "dataset": dataset,
        "language": get_language(),
        "mine": mine,
        "steward": steward,
        "my_grants": my_grants,
        "readable": readable,
        "contents": selectors.dataset_contents(actor=actor, dataset=dataset) if readable else [],
        "parts": selectors.dataset_parts(dataset=dataset),
        "can_request": permissions.can_request_dataset(actor, dataset),
        "my_requests": selectors.request_list(actor=actor, side=selectors.MINE).filter(dataset=dataset)[:5]
        if not mine
        else [],
        "coverage": json.loads(dataset.coverage.geojson) if dataset.coverage is not None else None,
        "fdsn": dataset.kind == DatasetKind.CATALOG,
    }
    if steward:
        context.update(
            form=DatasetForm(
                initial={
                    name: getattr(dataset, name)
                    for name in (
                        "level",
                        "zone",
                        "update_frequency",
                        "title_zh",
                        "title_en",
                        "description_zh",
                        "description_en",
                    )
                }
            ),
            grants=selectors.grants_of_dataset(actor=actor, dataset=dataset, now=now),
            accesses=selectors.dataset_accesses(actor=actor, dataset=dataset),
            can_push=permissions.can_push_dataset(actor, dataset),
            history=audit_for(target_type="sharing.dataset", target_id=dataset.pk)[:20],
        )
    return render(request, "sharing/dataset_detail.html", context)


@page
@require_POST
def dataset_edit(request: HttpRequest, dataset_id: int) -> HttpResponse:
    actor = request.actor
    dataset = selectors.dataset_get(actor=actor, dataset_id=dataset_id)
    form = DatasetForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("sharing:dataset-detail", dataset.pk)
    try:
        dataset_services.dataset_update(actor=actor, dataset=dataset, **form.cleaned_data)
    except PortalError as exc:
        if exc.status_code in (403, 404):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Saved."))
    return redirect("sharing:dataset-detail", dataset.pk)


@page
@require_POST
def dataset_level(request: HttpRequest, dataset_id: int) -> HttpResponse:
    """Set a dataset's level from the settings page's table."""
    actor = request.actor
    dataset = selectors.dataset_get(actor=actor, dataset_id=dataset_id)
    form = LevelForm(request.POST)
    if form.is_valid():
        dataset_services.dataset_update(actor=actor, dataset=dataset, level=form.cleaned_data["level"])
        messages.success(
            request, _("Sharing level of %(dataset)s set.") % {"dataset": dataset.title(get_language())}
        )
    return redirect(reverse("sharing:settings") + f"?page={request.POST.get('page', '1')}")


def _channels(values: list[str]) -> tuple[int, ...]:
    return tuple(int(v) for v in values if v.isdigit())


@page
def request_new(request: HttpRequest, dataset_id: int) -> HttpResponse:
    """Ask for a dataset offered on request."""
    actor = request.actor
    dataset = selectors.dataset_get(actor=actor, dataset_id=dataset_id)
    if not permissions.can_request_dataset(actor, dataset):
        raise PermissionDenied(_("This dataset is not offered on request to your bureau."))
    parts = selectors.dataset_parts(dataset=dataset)
    form = RequestForm(request.POST or None, parts=parts)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        scope = request_services.Scope(
            data["period_start"], data["period_end"], _channels(data.get("channels", []))
        )
        try:
            made = request_services.request_create(
                actor=actor, dataset=dataset, purpose=data["purpose"], scope=scope
            )
        except PortalError as exc:
            if exc.status_code in (403, 404):
                raise
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Request sent."))
            return redirect("sharing:request-detail", made.pk)
    return render(
        request, "sharing/request_form.html", {"dataset": dataset, "form": form, "language": get_language()}
    )


@page
def request_list(request: HttpRequest) -> HttpResponse:
    """The requests the bureau made, or those it received (its stewards' default), with the
    overdue ones marked."""
    actor = request.actor
    steward = permissions.can_manage_datasets(actor)
    side = _choice(request.GET.get("side"), [selectors.MINE, selectors.TO_ME]) or (
        selectors.TO_ME if steward else selectors.MINE
    )
    state = _choice(request.GET.get("state"), DataRequest.State.values)
    rows = Paginator(selectors.request_list(actor=actor, side=side, state=state), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "sharing/requests.html",
        {
            "page": rows,
            "side": side,
            "state": state,
            "states": DataRequest.State.choices,
            "extra_query": f"side={side}&" + (f"state={state}&" if state else ""),
            "now": timezone.now(),
            "language": get_language(),
        },
    )


@page
def request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    actor = request.actor
    found = selectors.request_get(actor=actor, request_id=request_id)
    parts = selectors.dataset_parts(dataset=found.dataset)
    named = {c.pk: str(c) for c in parts}
    actions = request_workflow.allowed_actions(actor, found)
    initial = {"period_start": found.period_start, "period_end": found.period_end}
    if found.channel_ids:
        initial["channels"] = [str(pk) for pk in found.channel_ids]
    grant = selectors.request_grant(request=found)
    return render(
        request,
        "sharing/request_detail.html",
        {
            "item": found,
            "grant": grant,
            "channels": [named.get(pk, str(pk)) for pk in found.channel_ids],
            "granted_channels": [named.get(pk, str(pk)) for pk in grant.channel_ids] if grant else [],
            "actions": actions,
            "approve_form": ApproveForm(
                initial=initial,
                parts=[c for c in parts if not found.channel_ids or c.pk in found.channel_ids],
            ),
            "reason_form": ReasonForm(),
            "overdue": found.is_overdue(timezone.now()),
            "dataset_visible": selectors.dataset_visible(actor=actor, dataset_id=found.dataset_id),
            "history": audit_for(target_type="sharing.datarequest", target_id=found.pk),
            "language": get_language(),
        },
    )


def _end_of(day: dt.date | None) -> dt.datetime | None:
    """The end of ``day`` in Beijing time: an "access until" date is its last day."""
    if day is None:
        return None
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), tzinfo=BEIJING)


@page
@require_POST
def request_transition(request: HttpRequest, request_id: int) -> HttpResponse:
    """Approve (with the scope and expiry of the form), refuse (with a reason) or revoke."""
    actor = request.actor
    found = selectors.request_get(actor=actor, request_id=request_id)
    action = request.POST.get("action", "")
    parts = selectors.dataset_parts(dataset=found.dataset)
    try:
        if action == "approve":
            form = ApproveForm(request.POST, parts=parts)
            if not form.is_valid():
                messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
                return redirect("sharing:request-detail", found.pk)
            data = form.cleaned_data
            scope = request_services.Scope(
                data["period_start"], data["period_end"], _channels(data.get("channels", []))
            )
            request_services.request_approve(
                actor=actor,
                request=found,
                scope=scope,
                expires=_end_of(data["expires"]),
                comment=data["comment"],
            )
        elif action in ("refuse", "revoke"):
            reason = request.POST.get("reason", "")
            request_services.request_transition(actor=actor, request=found, action=action, reason=reason)
        else:
            raise PortalError(_("Unknown action."), field="action")
    except PortalError as exc:
        if exc.status_code in (403, 404):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, str(request_workflow.WORKFLOW.transitions[action].label))
    return redirect("sharing:request-detail", found.pk)


@page
def push_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    side = _choice(request.GET.get("side"), [selectors.MINE, selectors.TO_ME])
    rows = Paginator(selectors.push_list(actor=actor, side=side), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "sharing/pushes.html",
        {
            "page": rows,
            "side": side,
            "extra_query": f"side={side}&" if side else "",
            "language": get_language(),
            "can_manage": permissions.can_manage_datasets(actor),
        },
    )


@page
def push_new(request: HttpRequest, dataset_id: int) -> HttpResponse:
    actor = request.actor
    dataset = selectors.dataset_get(actor=actor, dataset_id=dataset_id)
    if not permissions.can_push_dataset(actor, dataset):
        raise PermissionDenied(_("Only the dataset's data stewards and bureau admins push it."))
    language = get_language()
    form = PushForm(
        request.POST or None, bureaus=selectors.push_bureau_choices(actor=actor), language=language
    )
    if request.method == "POST" and form.is_valid():
        try:
            push = push_services.push_create(
                actor=actor,
                dataset=dataset,
                bureaus=form.cleaned_data["bureaus"],
                note=form.cleaned_data["note"],
            )
        except PortalError as exc:
            if exc.status_code in (403, 404):
                raise
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Pushing."))
            return redirect("sharing:push-detail", push.pk)
    return render(request, "sharing/push_form.html", {"dataset": dataset, "form": form, "language": language})


@page
def push_detail(request: HttpRequest, push_id: int) -> HttpResponse:
    actor = request.actor
    push = selectors.push_get(actor=actor, push_id=push_id)
    return render(
        request,
        "sharing/push_detail.html",
        {
            "push": push,
            "grants": list(push.grants.all()),
            "notices": selectors.push_notices(push=push),
            "can_stop": push.state == Push.State.ACTIVE and permissions.can_stop_push(actor, push),
            "dataset_visible": selectors.dataset_visible(actor=actor, dataset_id=push.dataset_id),
            "stop_label": push_workflow.WORKFLOW.transitions["stop"].button,
            "history": audit_for(target_type="sharing.push", target_id=push.pk),
            "language": get_language(),
        },
    )


@page
@require_POST
def push_stop(request: HttpRequest, push_id: int) -> HttpResponse:
    actor = request.actor
    push = selectors.push_get(actor=actor, push_id=push_id)
    try:
        push_services.push_stop(actor=actor, push=push, comment=request.POST.get("comment", ""))
    except PortalError as exc:
        if exc.status_code in (403, 404):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Push stopped."))
    return redirect("sharing:push-detail", push.pk)


@page
def settings_page(request: HttpRequest) -> HttpResponse:
    """The bureau's datasets with their levels (stewards), its answer deadline (admin)."""
    actor = request.actor
    if not permissions.can_manage_datasets(actor):
        raise PermissionDenied(_("Only the bureau's data stewards and admins manage its datasets."))
    current = selectors.sharing_settings_get(actor=actor)
    form = SettingsForm(request.POST or None, initial={"answer_days": current.answer_days if current else 3})
    if request.method == "POST" and form.is_valid():
        try:
            dataset_services.sharing_settings_set(actor=actor, answer_days=form.cleaned_data["answer_days"])
        except PortalError as exc:
            if exc.status_code in (403, 404):
                raise
            form.add_error("answer_days", exc.message)
        else:
            messages.success(request, _("Saved."))
            return redirect("sharing:settings")
    rows = Paginator(selectors.datasets_owned(actor=actor), 50).get_page(request.GET.get("page"))
    counts = selectors.level_counts(actor=actor)
    return render(
        request,
        "sharing/settings.html",
        {
            "page": rows,
            "form": form,
            "can_change_settings": permissions.can_change_settings(actor),
            "levels": Level.choices,
            "level_rows": [(value, label, counts[value]) for value, label in Level.choices],
            "language": get_language(),
        },
    )


@page
@require_POST
def sync_now(request: HttpRequest) -> HttpResponse:
    """Bring the bureau's datasets up to date with what it holds now."""
    actor = request.actor
    if not permissions.can_manage_datasets(actor) or actor.bureau_id is None:
        raise PermissionDenied(_("Only the bureau's data stewards and admins manage its datasets."))
    counts = sync_services.datasets_sync(bureau_id=actor.bureau_id)
    messages.success(
        request,
        _("Datasets brought up to date: %(made)d new, %(refreshed)d refreshed, %(retired)d retired.")
        % counts,
    )
    return redirect("sharing:settings")
