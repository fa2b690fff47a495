"""Pages of recognition rules: the list with counts, a rule with its detections, the form."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.exceptions import PermissionDenied, PortalError
from portal.models import DisciplineCode
from portal.pages import page
from portal.selectors import audit_for
from products.catalogue import describe
from products.forms import fields_for, request_from_post

from . import selectors, services
from .models import Direction, RuleState
from .permissions import RULE_DISCIPLINES, can_create_rule, can_edit_rule, can_pause_rule
from .spans import INDICATOR_METHODS


@page
def rule_list(request: HttpRequest) -> HttpResponse:
    discipline = request.GET.get("discipline") or None
    state = request.GET.get("state") or None
    discipline = discipline if discipline in DisciplineCode.values else None
    state = state if state in RuleState.values else None
    rules = selectors.rule_list(actor=request.actor, discipline=discipline, state=state)
    page = Paginator(rules, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "recognition/rule_list.html",
        {
            "page": page,
            "rows": [(rule, can_pause_rule(request.actor, rule)) for rule in page.object_list],
            "can_create": can_create_rule(request.actor),
            "disciplines": [(c, label) for c, label in DisciplineCode.choices if c != "seismology"],
            "states": RuleState.choices,
            "discipline": discipline or "",
            "state": state or "",
        },
    )


@page
def rule_detail(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = selectors.rule_get(actor=request.actor, rule_id=rule_id)
    detections = Paginator(selectors.rule_detections(rule=rule), 25).get_page(request.GET.get("page"))

    return render(
        request,
        "recognition/rule_detail.html",
        {
            "rule": rule,
            "page": detections,
            "rows": [(d, selectors.detection_outcome(d)) for d in detections.object_list],
            "channels": selectors.rule_channels(rule=rule),
            "states": selectors.rule_channel_states(rule=rule),
            "params": selectors.params_shown(rule),
            "can_edit": can_edit_rule(request.actor, rule),
            "can_pause": can_pause_rule(request.actor, rule),
            "history": audit_for(target_type=rule._meta.label_lower, target_id=rule.pk).order_by(
                "created_at"
            )[:100],
        },
    )


def _form(request: HttpRequest, rule: Any = None) -> HttpResponse:
    actor = request.actor
    own = [c for c in RULE_DISCIPLINES if can_create_rule(actor, c)]
    discipline = (
        request.POST.get("discipline")
        or request.GET.get("discipline")
        or (rule.discipline.code if rule else (own[0] if own else ""))
    )
    if discipline not in own:
        discipline = own[0] if own else ""
    methods = selectors.rule_methods(discipline)
    names = [m.name for m in methods]
    method = request.POST.get("method") or request.GET.get("method") or (rule.method if rule else "")
    if method not in names:
        method = names[0] if names else ""
    described = describe(methods[names.index(method)]) if method else {"params": {}, "input": "series"}
    described["catalog_keys"] = []
    errors: dict[str, str] = {}
    params = dict(rule.params) if rule is not None and rule.method == method else {}
    values: dict[str, Any] = {
        "name": rule.name if rule else "",
        "item_code": rule.item_code if rule else "",
        "window_days": rule.window_days if rule else 90,
        "threshold": rule.threshold if rule and rule.threshold is not None else "",
        "direction": rule.direction if rule else Direction.ABOVE,
        "persist_days": rule.persist_days if rule else 3,
        "channels": {c.pk for c in rule.channels.all()} if rule else set(),
    }
    if request.method == "POST" and request.POST.get("save"):
        params, _catalog = request_from_post(described, request.POST)
        values.update({k: request.POST.get(k, "").strip() for k in ("name", "item_code", "direction")})
        data: dict[str, Any] = {
            "name": values["name"],
            "discipline": discipline,
            "method": method,
            "params": params,
            "item_code": values["item_code"],
            "direction": values["direction"],
        }
        for key in ("window_days", "persist_days", "threshold"):
            raw = request.POST.get(key, "").strip()
            values[key] = raw
            try:
                data[key] = (float(raw) if key == "threshold" else int(raw)) if raw else None
            except ValueError:
                data[key] = raw
        chosen = request.POST.getlist("channels")
        data["channels"] = [int(v) if v.isdigit() and len(v) < 19 else v for v in chosen]
        values["channels"] = {v for v in data["channels"] if isinstance(v, int)}
        try:
            saved = (
                services.rule_update(actor=actor, rule=rule, data=data)
                if rule is not None
                else services.rule_create(actor=actor, data=data)
            )
            messages.success(request, _("The rule is saved."))
            return redirect(saved.get_absolute_url())
        except PermissionDenied:
            raise
        except PortalError as exc:
            errors[exc.field or "form"] = exc.message
    param_fields, _unused = fields_for(described, params, {}, errors)
    return render(
        request,
        "recognition/rule_form.html",
        {
            "rule": rule,
            "disciplines": [(c, label) for c, label in DisciplineCode.choices if c in own],
            "discipline": discipline,
            "methods": methods,
            "method": method,
            "needs_threshold": method in INDICATOR_METHODS,
            "param_fields": param_fields,
            "errors": errors,
            "values": values,
            "channel_options": selectors.channel_options(actor=actor, discipline=discipline),
            "items": selectors.item_codes(discipline=discipline),
            "directions": Direction.choices,
        },
    )


@page
def rule_new(request: HttpRequest) -> HttpResponse:
    if not can_create_rule(request.actor):
        raise PermissionDenied(_("Only the discipline's experts of a bureau set up its recognition rules."))
    return _form(request)


@page
def rule_edit(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = selectors.rule_get(actor=request.actor, rule_id=rule_id)
    if not can_edit_rule(request.actor, rule):
        raise PermissionDenied(_("Only the discipline's experts of the rule's bureau change it."))
    return _form(request, rule)


@require_POST
@page
def rule_action(request: HttpRequest, rule_id: int, action: str) -> HttpResponse:
    rule = selectors.rule_get(actor=request.actor, rule_id=rule_id)
    if action == "pause":
        services.rule_pause(actor=request.actor, rule=rule, comment=request.POST.get("comment", ""))
        messages.info(request, _("The rule is paused."))
    elif action == "resume":
        services.rule_resume(actor=request.actor, rule=rule, comment=request.POST.get("comment", ""))
        messages.info(request, _("The rule runs again."))
    elif action == "run":
        services.rule_run_now(actor=request.actor, rule=rule)
        messages.info(request, _("The rule runs now; its detections appear here when it is done."))
        return redirect(rule.get_absolute_url())
    else:
        raise Http404
    nxt = request.POST.get("next")
    return redirect(rule.get_absolute_url() if nxt != "list" else "recognition:rule-list")
