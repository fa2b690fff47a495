"""The page of a person's subscriptions: the list with what was sent lately, and the form
(the region drawn on a Leaflet map, static/subscriptions/subscription_map.js)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.exceptions import PortalError
from portal.pages import page
from portal.selectors import bureau_outlines, portal_disciplines

from . import selectors
from .forms import SubscriptionForm
from .services import subscriptions as subscription_services

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

    from .models import Subscription

PER_PAGE = 25
HISTORY = 20  # the latest changes to one's subscriptions shown under the list


def _form(request: HttpRequest, subscription: Subscription | None) -> SubscriptionForm:
    english = (get_language() or "").startswith("en")
    bureaus = [(b.code, f"{b.code} · {b.name_en if english else b.name_zh}") for b in bureau_outlines()]
    disciplines = [(d.code, d.name_en if english else d.name_zh) for d in portal_disciplines()]
    initial: dict[str, object] = {
        "region_kind": "china",
        "min_magnitude": 4.0,
        "min_magnitude_night": 5.0,
        "products": ["quick_report"],
        "channels": ["in_app"],
        "suppress_aftershocks": True,
        "is_active": True,
    }
    if subscription is not None:
        spec = subscription.region_spec or {}
        kind = spec.get("kind", "china")
        initial = {
            "name": subscription.name,
            "region_kind": {"polygon": "drawn", "circle": "drawn"}.get(kind, kind),
            "bureau": spec.get("bureau", ""),
            "region": json.dumps(spec)
            if kind == "circle"
            else (subscription.region.geojson if subscription.region else ""),
            "min_magnitude": subscription.min_magnitude,
            "min_magnitude_night": subscription.min_magnitude_night,
            "quiet_start": subscription.quiet_start,
            "quiet_end": subscription.quiet_end,
            "products": subscription.products,
            "channels": subscription.channels,
            "wechat_webhook_url": subscription.wechat_webhook_url,
            "digest": subscription.digest,
            "suppress_aftershocks": subscription.suppress_aftershocks,
            "is_active": subscription.is_active,
        }
    return SubscriptionForm(request.POST or None, initial=initial, bureaus=bureaus, disciplines=disciplines)


@page
def subscription_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    subscriptions = Paginator(selectors.subscription_list(actor=actor), PER_PAGE).get_page(
        request.GET.get("page")
    )
    notices = selectors.notice_list(actor=actor)[:20]
    history = selectors.subscription_history(actor=actor)[:HISTORY]
    return render(
        request,
        "subscriptions/list.html",
        {"subscriptions": subscriptions, "notices": notices, "history": history},
    )


def _save(request: HttpRequest, subscription: Subscription | None) -> HttpResponse:
    form = _form(request, subscription)
    if request.method == "POST" and form.is_valid():
        try:
            data = form.service_data()
            if subscription is None:
                subscription_services.subscription_create(actor=request.actor, data=data)
            else:
                subscription_services.subscription_update(
                    actor=request.actor, subscription=subscription, data=data
                )
        except PortalError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Subscription saved."))
            return redirect("subscriptions:list")
    return render(request, "subscriptions/form.html", {"form": form, "subscription": subscription})


@page
def subscription_new(request: HttpRequest) -> HttpResponse:
    return _save(request, None)


@page
def subscription_edit(request: HttpRequest, subscription_id: int) -> HttpResponse:
    return _save(request, selectors.subscription_get(actor=request.actor, subscription_id=subscription_id))


@page
@require_POST
def subscription_delete(request: HttpRequest, subscription_id: int) -> HttpResponse:
    subscription = selectors.subscription_get(actor=request.actor, subscription_id=subscription_id)
    subscription_services.subscription_delete(actor=request.actor, subscription=subscription)
    messages.success(request, _("Subscription deleted."))
    return redirect("subscriptions:list")
