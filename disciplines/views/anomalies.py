"""Anomaly pages: list, new, detail, transitions, attachments, map, timeline, export."""

from __future__ import annotations

import json
from datetime import UTC, date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from disciplines import anomaly_origins, exports, permissions, selectors
from disciplines.anomaly_channel_selectors import (
    anomaly_channel_choices,
    anomaly_series_channel,
    channel_series_readable,
)
from disciplines.forms import AssignForm, CommentForm, ExpertAnomalyForm
from disciplines.models import Anomaly, Attachment
from disciplines.services import anomalies as anomaly_services
from disciplines.services import anomaly_workflow
from disciplines.services.anomalies import TRANSITION_SERVICES
from disciplines.services.anomaly_workflow import ACTION_BUTTONS, ACTION_LABELS
from disciplines.services.assessment import rating_summary
from portal.exceptions import NotFound, PortalError
from portal.files import serve_file
from portal.selectors import user_by_id

from .common import STATE_COLOURS, _anomaly_for_page, _date, _no_actor, _page_error
from .zero_reports import _export


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
    form = ExpertAnomalyForm(
        request.POST or None,
        request.FILES or None,
        disciplines=disciplines,
        channels=anomaly_channel_choices(actor=actor),
        language=get_language(),
    )
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
                channel_id=data["channel"],
            )
        except PortalError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("disciplines:anomaly-detail", anomaly.pk)
    return render(request, "disciplines/anomaly_new.html", {"form": form})


@login_required
def anomaly_detail(request: HttpRequest, anomaly_id: int) -> HttpResponse:
    anomaly = _anomaly_for_page(request, anomaly_id)
    if isinstance(anomaly, HttpResponse):
        return anomaly
    actor = request.actor
    actions = anomaly_workflow.allowed_actions(actor, anomaly)
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
            **_curve(actor, anomaly),
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
            "origins": anomaly_origins.origins(anomaly),
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


CURVE_BEFORE, CURVE_AFTER = timedelta(days=60), timedelta(days=30)


def _curve(actor: Any, anomaly: Anomaly) -> dict[str, Any]:
    """The anomaly's curve: its channel (or the one its unit's station stands in with), whether
    the reader may read its values, and the window onset - 60 days .. onset + 30 days (or now)."""
    channel = anomaly_series_channel(actor=actor, anomaly=anomaly)
    if channel is None:
        return {"series_channel": None}

    def iso(when: Any) -> str:
        return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    return {
        "series_channel": channel,
        "series_readable": channel_series_readable(actor=actor, channel=channel),
        "series_start": iso(anomaly.onset_at - CURVE_BEFORE),
        "series_end": iso(min(anomaly.onset_at + CURVE_AFTER, timezone.now())),
        "series_onset": iso(anomaly.onset_at),
    }


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
